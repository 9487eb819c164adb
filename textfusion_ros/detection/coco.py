"""COCO class names: the 80 contiguous classes of YOLO exports and the 90-id TF model-zoo map."""

from __future__ import annotations

COCO80 = (
    "person", "bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck", "boat",
    "traffic light", "fire hydrant", "stop sign", "parking meter", "bench", "bird", "cat", "dog",
    "horse", "sheep", "cow", "elephant", "bear", "zebra", "giraffe", "backpack", "umbrella",
    "handbag", "tie", "suitcase", "frisbee", "skis", "snowboard", "sports ball", "kite",
    "baseball bat", "baseball glove", "skateboard", "surfboard", "tennis racket", "bottle",
    "wine glass", "cup", "fork", "knife", "spoon", "bowl", "banana", "apple", "sandwich",
    "orange", "broccoli", "carrot", "hot dog", "pizza", "donut", "cake", "chair", "couch",
    "potted plant", "bed", "dining table", "toilet", "tv", "laptop", "mouse", "remote",
    "keyboard", "cell phone", "microwave", "oven", "toaster", "sink", "refrigerator", "book",
    "clock", "vase", "scissors", "teddy bear", "hair drier", "toothbrush",
)

# The TF Object Detection API numbers COCO classes 1..90 with gaps (ids of unused categories).
COCO91_IDS = (
    1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 27,
    28, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 46, 47, 48, 49, 50, 51, 52, 53,
    54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64, 65, 67, 70, 72, 73, 74, 75, 76, 77, 78, 79, 80,
    81, 82, 84, 85, 86, 87, 88, 89, 90,
)
TF_COCO_LABELS: dict[int, str] = dict(zip(COCO91_IDS, COCO80, strict=True))

# Words a prompt may use for a class (matched by text-embedding similarity, not literally).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "person": ("person", "people", "pedestrian", "human", "man", "woman", "child"),
    "bicycle": ("bicycle", "bike", "cyclist"),
    "car": ("car", "vehicle", "automobile"),
    "motorcycle": ("motorcycle", "motorbike", "scooter"),
    "bus": ("bus", "coach"),
    "truck": ("truck", "lorry"),
}
