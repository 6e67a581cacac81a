export {
  MediaProcessingTimeoutError,
  MediaTooLargeError,
  MediaTooLongError,
  MediaUnreadableError,
  UnsupportedMediaError,
} from "./errors";
export { IMAGE_VARIANTS, renderImage, type ImageOptions, type ImageResult, type MediaVariant } from "./image";
export {
  ACCEPTED_CONTENT_TYPES,
  SNIFF_BYTES,
  sniffFile,
  sniffMedia,
  type MediaFormat,
  type SniffedMedia,
} from "./sniff";
export {
  probeVideo,
  renderVideo,
  type ProbeOptions,
  type VideoOptions,
  type VideoProbe,
  type VideoResult,
} from "./video";
