// The layers' training code, registered on import (layers/train_registry.ts).
import './core_train';
import './merging_train';
import './pooling_train';
import './reshaping_train';
import './recurrent_train';
import './wrappers_train';
