import { StreetWatchError } from '../common/errors.js';

/** Stable codes for everything that can go wrong finding, checking or downloading a model. */
export type ModelErrorCode =
  | 'MODEL_UNKNOWN' // no manifest with that name
  | 'MODEL_MANIFEST_INVALID' // a manifest file fails its schema
  | 'MODEL_NOT_FOUND' // not in the cache, not in ../shared, or an explicit path that does not exist
  | 'MODEL_UNIDENTIFIED' // an explicit path whose sha256 matches no manifest
  | 'MODEL_CHECKSUM' // a file whose sha256/size is not one the manifest accepts
  | 'MODEL_DOWNLOAD' // network or HTTP failure while fetching
  | 'MODEL_MISMATCH'; // the ONNX graph does not have the inputs/outputs its manifest describes

export class ModelError extends StreetWatchError {
  declare readonly code: ModelErrorCode;
  constructor(code: ModelErrorCode, message: string) {
    super(code, message);
  }
}
