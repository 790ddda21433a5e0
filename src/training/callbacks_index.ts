// The public `callbacks` namespace (keras.callbacks).
export { Callback, History, LambdaCallback, type CallbackHooks, type CallbackLike, type CallbackParams, type Logs } from './callbacks';
export { ProgbarLogger } from './progbar';
