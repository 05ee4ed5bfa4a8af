import { ScrfdDetector, SCRFD_DEFAULT_MIN_SCORE } from '../../src/detect/scrfd.js';
import { SCRFD_2_5G_MODEL, YUNET_MODEL } from '../helpers/datasets.js';
import { fivePointDetectorSuite } from '../helpers/five-point-suite.js';

fivePointDetectorSuite({
  name: 'scrfd',
  modelPath: SCRFD_2_5G_MODEL,
  otherModelPath: YUNET_MODEL,
  load: (o) => ScrfdDetector.load(o),
  defaultMinScore: SCRFD_DEFAULT_MIN_SCORE,
  maxPointError: 0.15,
});
