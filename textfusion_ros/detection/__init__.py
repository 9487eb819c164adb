"""Object detection on fused images (ROS-free): decoders, letterbox, NMS, evaluation."""
