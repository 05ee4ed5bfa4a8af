/**
 * face-api's 68-point landmark network (FaceLandmark68Net: a DenseNet-style feature extractor of four
 * 4-layer dense blocks + one fully connected layer) as an ONNX graph.
 *
 * Input `faces`: [N, 3, 112, 112] RGB in 0..255 (already cropped, padded to square and resized; see
 * landmarker.ts). Preprocessing is inside the graph exactly as face-api does it: (x - meanRgb) / 255.
 * Output `landmarks`: [N, 136] raw values, interleaved x0, y0, x1, y1, … as fractions of the 112-pixel
 * input (face-api multiplies them by the input size and then undoes the square padding).
 */
import { GraphBuilder, type Value } from '../engine/onnx-graph.js';
import type { WeightMap } from '../engine/tfjs-weights.js';
import type { ModelRecipe } from '../engine/model-store.js';
import { invariant } from '../errors.js';

export const LANDMARK_INPUT_SIZE = 112;
const MEAN_RGB = [122.782, 117.001, 104.298];

/** tf.separableConv2d(x, depthwise, pointwise, stride, 'same') + bias. */
function separableConv(g: GraphBuilder, w: WeightMap, x: Value, prefix: string, stride: number): Value {
  const dw = w.get(`${prefix}/depthwise_filter`);
  const pw = w.get(`${prefix}/pointwise_filter`);
  const bias = w.get(`${prefix}/bias`).data;
  const d = g.depthwiseConv(x, {
    filterHWC1: dw.data,
    filterShape: dw.shape as [number, number, number, number],
    stride,
    padding: 'same',
  });
  return g.conv(d, {
    filterHWIO: pw.data,
    filterShape: pw.shape as [number, number, number, number],
    bias,
    stride: 1,
    padding: 'valid',
  });
}

/** face-api's denseBlock4 (isScaleDown = true). */
function denseBlock4(g: GraphBuilder, w: WeightMap, x: Value, prefix: string, isFirstLayer: boolean): Value {
  let c0: Value;
  if (isFirstLayer) {
    const f = w.get(`${prefix}/conv0/filters`);
    c0 = g.conv(x, {
      filterHWIO: f.data,
      filterShape: f.shape as [number, number, number, number],
      bias: w.get(`${prefix}/conv0/bias`).data,
      stride: 2,
      padding: 'same',
    });
  } else {
    c0 = separableConv(g, w, x, `${prefix}/conv0`, 2);
  }
  const out1 = g.relu(c0);
  const out2 = separableConv(g, w, out1, `${prefix}/conv1`, 1);
  const in3 = g.relu(g.add(out1, out2));
  const out3 = separableConv(g, w, in3, `${prefix}/conv2`, 1);
  const in4 = g.relu(g.add(out1, g.add(out2, out3)));
  const out4 = separableConv(g, w, in4, `${prefix}/conv3`, 1);
  return g.relu(g.add(out1, g.add(out2, g.add(out3, out4))));
}

export function buildLandmarkGraph(w: WeightMap): GraphBuilder {
  const g = new GraphBuilder('face_landmark_68', {
    input: `faces NCHW RGB 0..255 ${LANDMARK_INPUT_SIZE}x${LANDMARK_INPUT_SIZE}`,
    output: 'landmarks [N,136] raw, interleaved x,y as fractions of the input side',
  });
  const input = g.input('faces', [-1, 3, LANDMARK_INPUT_SIZE, LANDMARK_INPUT_SIZE]);
  let x = g.mul(g.sub(input, g.channelConstant(MEAN_RGB)), g.scalar(1 / 255));
  x = denseBlock4(g, w, x, 'dense0', true);
  x = denseBlock4(g, w, x, 'dense1', false);
  x = denseBlock4(g, w, x, 'dense2', false);
  x = denseBlock4(g, w, x, 'dense3', false);
  x = g.avgPool(x, 7, 2, 'valid');
  const flat = g.flatten(x);
  const fcW = w.get('fc/weights');
  const fcB = w.get('fc/bias');
  invariant(flat.dims[1] === fcW.shape[0], `landmark graph: features ${flat.dims[1]} ≠ fc input ${fcW.shape[0]}`);
  g.output(g.dense(flat, fcW.data, fcW.shape[0], fcW.shape[1], fcB.data), 'landmarks');
  return g;
}

export const landmarkRecipe: ModelRecipe = {
  name: 'face-landmark-68',
  weights: 'face_landmark_68_model',
  version: 1,
  build: buildLandmarkGraph,
};
