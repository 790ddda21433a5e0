// The same on the scalar fallback build; vitest runs this file in its own module graph.
import { defineTorchConvBnSuite } from './torch_conv_bn_suite';

defineTorchConvBnSuite(false);
