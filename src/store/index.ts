// The shared-memory object store: an arena of SharedArrayBuffer memory shared by every thread, refcounted
// ObjectRefs, zero-copy typed-array and tensor views.
export {
  ObjectStore, DEFAULT_INLINE_THRESHOLD, DEFAULT_MAX_HOLDERS, DEFAULT_PUT_TIMEOUT_MS, DEFAULT_LOCK_TIMEOUT_MS,
  type ObjectStoreOptions, type AttachOptions, type ObjectStoreShare, type PutOptions, type TensorInput, type OrtTensor,
  type ObjectStoreStats, type OrtCompatibleView,
} from './object-store.ts';
export { type ObjectRef, type ObjectRefRecord, toRecord, fromRecord, isObjectRef, asObjectRef } from './object-ref.ts';
export { type Dtype, type TypedArray, DTYPES, isDtype, dtypeInfo, dtypeOfArray, shapeSize } from './dtypes.ts';
// The store's tensor is troupe's one tensor type.
export type { Tensor, TensorData } from '../native/tensor.ts';
export { nativeAliasStatus } from './native-alias.ts';
export {
  ObjectReleasedError, ObjectStoreFullError, ForeignObjectRefError, InvalidObjectRefError, InvalidTensorError,
  ObjectNotHeldError, ObjectStoreLockError, ObjectStoreConfigError,
} from './errors.ts';
export { HolderTable } from './holders.ts';
export {
  type WorkerStoreData, registerStore, unregisterStore, threadObjectStore, attachWorkerStore, travelsByRef, refRecord,
  dropRecords, adoptRecord,
} from './wire.ts';
