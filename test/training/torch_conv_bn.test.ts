// Conv1D, pooling and BatchNormalization training against PyTorch float64 on the SIMD build.
import { defineTorchConvBnSuite } from './torch_conv_bn_suite';

defineTorchConvBnSuite(true);
