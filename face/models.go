package face

// Model names, as in the npm package faceplugin-face-recognition-js@0.0.1
// (model/<name>.onnx) from which scripts/face-models.sh installs them.
const (
	Detector   = "fr_detect"
	Landmarker = "fr_landmark"
	Feature    = "fr_feature"
	Liveness   = "fr_liveness"
	Eye        = "fr_eye"
	Pose       = "fr_pose"
)

// tensor is one named input or output of a model and its fixed shape.
type tensor struct {
	name  string
	shape []int64
}

// model pins one ONNX file: its SHA-256 (checked before the bytes are handed
// to ONNX Runtime) and the tensors the engine feeds and reads. The shapes are
// those the files declare; what the numbers mean is in the FACTS "Face
// models" table, not in the npm package's JavaScript.
type model struct {
	name    string
	file    string
	sha256  string
	inputs  []tensor
	outputs []tensor
}

// models is every model the engine knows. Keep SHA256SUMS (used by
// scripts/face-models.sh) in step; TestSumsFileMatchesTable checks it.
var models = []model{
	{
		name:    Detector,
		file:    "models/fr_detect.onnx",
		sha256:  "6c0256ccd3164f844736a401faf936ec2930764a87ae39442180887d0c5c8854",
		inputs:  []tensor{{"input", []int64{1, 3, 240, 320}}}, // RGB (v−127)/128
		outputs: []tensor{{"scores", []int64{1, 4420, 2}}, {"boxes", []int64{1, 4420, 4}}},
	},
	{
		name:    Landmarker,
		file:    "models/fr_landmark.onnx",
		sha256:  "f10b0ba1d2a8a099adefede1ebf3733e44fe370715e7303dbeb7f59c02142258",
		inputs:  []tensor{{"input", []int64{1, 1, 64, 64}}}, // grey /256, squared box
		outputs: []tensor{{"output", []int64{1, 136}}},      // 68 (x,y) fractions of the crop
	},
	{
		name:    Feature,
		file:    "models/fr_feature.onnx",
		sha256:  "87aacdfe57510db2af90c0251df680e8eec88f122ee94712121d09bcaaaf3581",
		inputs:  []tensor{{"input", []int64{1, 3, 112, 112}}}, // aligned RGB (v−127)/128
		outputs: []tensor{{"output", []int64{1, 512}}},
	},
	{
		name:    Liveness,
		file:    "models/fr_liveness.onnx",
		sha256:  "afa783b7e902fdfcf323a7240cac2a1c580c25314ea4161129dc1b0d100dc32d",
		inputs:  []tensor{{"input", []int64{1, 3, 128, 128}}}, // raw RGB 0–255, crop 2.7× box
		outputs: []tensor{{"output", []int64{1, 3}}},          // softmax[0] ≈ live (weak)
	},
	{
		name:    Eye,
		file:    "models/fr_eye.onnx",
		sha256:  "1afcea006abc1ccac3c517022abde0aa092bed74ff3c9fe6878483ef9e6e38de",
		inputs:  []tensor{{"input", []int64{1, 1, 24, 24}}}, // grey /255
		outputs: []tensor{{"output", []int64{1, 2}}},        // index 0 = closed
	},
	{
		name:   Pose,
		file:   "models/fr_pose.onnx",
		sha256: "72d032ec941b7153bf8d3f2c03a4c165453cc7e63d479041ec7c6ef087e5839d",
		inputs: []tensor{{"input", []int64{1, 3, 224, 224}}}, // ImageNet mean/std
		// Three heads of 66 bins each; degrees = Σ p·i·3 − 99.
		outputs: []tensor{{"output", []int64{1, 66}}, {"617", []int64{1, 66}}, {"618", []int64{1, 66}}},
	},
}

// Subset returns the hashes of the named models out of all (an Engine's
// Models), for a result that records only the models its check ran.
func Subset(all map[string]string, names []string) map[string]string {
	out := make(map[string]string, len(names))
	for _, m := range names {
		if h, ok := all[m]; ok {
			out[m] = h
		}
	}
	return out
}
