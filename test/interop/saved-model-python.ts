// Referee scripts for the SavedModel interop tests (Python runs only as the outside judge).

/** argv: version_dir image... ; prints, per image, TF's decoded pixels and the signature's outputs. */
export const runOnImagesScript = `
import base64, json, sys
import tensorflow as tf
model = tf.saved_model.load(sys.argv[1])
fn = model.signatures["serving_default"]
results = []
for path in sys.argv[2:]:
    image = tf.io.decode_jpeg(tf.io.read_file(path), channels=3)[tf.newaxis]
    outputs = fn(input_tensor=image)
    results.append({
        "shape": image.shape.as_list(),
        "pixels": base64.b64encode(image.numpy().tobytes()).decode(),
        "outputs": {k: {"shape": v.shape.as_list(), "values": v.numpy().ravel().tolist()} for k, v in outputs.items()},
    })
print(json.dumps(results))
`;

/** argv: export_dir ; saves a tiny tf.Module with one serving signature. */
export const saveTinyModuleScript = `
import sys
import tensorflow as tf
class Tiny(tf.Module):
    def __init__(self):
        self.w = tf.Variable([[1.0, 2.0], [3.0, 4.0]])
    @tf.function(input_signature=[tf.TensorSpec([None, 2], tf.float32, name="features")])
    def predict(self, features):
        return {"scores": tf.matmul(features, self.w), "count": tf.shape(features)[0]}
m = Tiny()
tf.saved_model.save(m, sys.argv[1], signatures={"serving_default": m.predict})
`;
