// Response shapes of the protocol, for /openapi.json and /docs only (the routes build them, nothing checks them).
const tensor = { type: 'object', properties: { name: { type: 'string' }, datatype: { type: 'string' }, shape: { type: 'array', items: { type: 'integer' } } } };

export const V2_SCHEMAS = {
  serverMetadata: { type: 'object', properties: { name: { type: 'string' }, version: { type: 'string' }, extensions: { type: 'array', items: { type: 'string' } } } },
  modelMetadata: {
    type: 'object',
    properties: {
      name: { type: 'string' }, versions: { type: 'array', items: { type: 'string' } }, platform: { type: 'string' },
      inputs: { type: 'array', items: tensor }, outputs: { type: 'array', items: tensor },
    },
  },
  inferResponse: {
    type: 'object',
    properties: {
      model_name: { type: 'string' }, model_version: { type: 'string' }, id: { type: 'string' },
      outputs: { type: 'array', items: { ...tensor, properties: { ...tensor.properties, data: { type: 'array' }, parameters: { type: 'object' } } } },
    },
  },
  index: {
    type: 'array',
    items: { type: 'object', properties: { name: { type: 'string' }, version: { type: 'string' }, state: { type: 'string' }, reason: { type: 'string' } } },
  },
};
