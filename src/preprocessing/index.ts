// Keras-compatible text preprocessing (keras.preprocessing.text / .sequence).
export {
  Tokenizer,
  TokenizerMap,
  tokenizerFromJson,
  textToWordSequence,
  DEFAULT_FILTERS,
  type TokenizerOptions,
  type TokenizerConfig,
  type TextToWordSequenceOptions,
  type TextInput,
  type Analyzer,
  type MatrixMode,
} from './tokenizer';
export { padSequences, type PadSequencesOptions, type PadSequence, type SequenceStep, type PadDType } from './sequence';
