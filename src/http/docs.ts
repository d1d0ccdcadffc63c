// Interactive docs: Swagger UI from the swagger-ui-dist package's files (no CDN), loaded once and kept.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'swagger-ui-standalone-preset.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
  'favicon-16x16.png': 'image/png',
};
const cache = new Map<string, Uint8Array>();
let root: string | undefined;

export function docsAsset(name: string): { contentType: string; body: Uint8Array } | undefined {
  const contentType = ASSETS[name];
  if (!contentType) return undefined;
  let body = cache.get(name);
  if (!body) {
    root ??= dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
    body = readFileSync(join(root, name));
    cache.set(name, body);
  }
  return { contentType, body };
}

export function docsPage(title: string, docsPath: string, specPath: string): string {
  const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${esc(title)} – docs</title>
<link rel="stylesheet" href="${esc(docsPath)}/swagger-ui.css">
<link rel="icon" type="image/png" href="${esc(docsPath)}/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="${esc(docsPath)}/swagger-ui-bundle.js"></script>
<script src="${esc(docsPath)}/swagger-ui-standalone-preset.js"></script>
<script>
window.ui = SwaggerUIBundle({ url: ${JSON.stringify(specPath)}, dom_id: '#swagger-ui', deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset], layout: 'StandaloneLayout' });
</script>
</body>
</html>
`;
}
