export { Layer, LayerWeight, type LayerArgs, type Shape, type CallOptions } from './layer';
export { InputLayer } from './input_layer';
export {
  SimpleRNN, LSTM, GRU,
  type RNNLayerOptions, type SimpleRNNOptions, type LSTMOptions, type GRUOptions, type RNNCallArgs,
} from './recurrent';
