// Public API of @boxloop/proto. Each helper's block is kept together.

export {
  directorySink,
  type EventSink,
  EventWriter,
  type EventWriterOptions,
  type ImageSummary,
  readEvents,
} from "./event-writer.ts";
// Formats: TFRecord, tf.Example, text-format configs, TensorBoard events.
export {
  type DetectionExample,
  type DetectionObject,
  decodeDetectionExample,
  ExampleError,
  encodeDetectionExample,
  exampleKeys,
} from "./example.ts";
export { type Label, type ParsedLabelMap, parseLabelMap, readLabelMap, writeLabelMap } from "./label-map.ts";
export {
  type ConfigWarning,
  defaultSupportedFields,
  emptyPipelineConfig,
  type ParsedPipelineConfig,
  parsePipelineConfig,
  readPipelineConfig,
  type TrainEvalPipelineConfig,
  unsupportedFields,
  writePipelineConfig,
} from "./pipeline-config.ts";
export { parseText, type TextField, TextFormatError } from "./text-format.ts";
export {
  frameRecord,
  maskedCrc32c,
  readTFRecords,
  TFRecordError,
  type TFRecordSource,
  TFRecordWriter,
  writeTFRecordFile,
} from "./tfrecord.ts";
