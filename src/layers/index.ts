export { Layer, LayerWeight, type LayerArgs, type Shape } from './layer';
export {
  SimpleRNN, LSTM, GRU,
  type RNNLayerOptions, type SimpleRNNOptions, type LSTMOptions, type GRUOptions, type RNNCallArgs,
} from './recurrent';
