"""Node overhead per IR + VIS pair, the models excluded: the fusion worker's whole path around
the fusion network and the detector, timed stage by stage.

    python -m textfusion_ros.ros.tools.bench_overhead [--width 640 --height 512] [--no-subscriber]

Stages: decode both Image messages; prepare the pair (`prepare_pair`: IR gain control,
visible luminance/chroma split, chroma cleaning); finish it (`finish_pair`: the fused
luminance, here the visible's, recombined with the chroma into uint8 BGR); encode the output
into its Image message; publish it; build and publish the Detection2DArray of 10 detections;
the statistics the node keeps per frame. The detector's own time is excluded; the overlay
image is only drawn while someone subscribes to it and is not counted.

Prints the median and p99 in ms, per stage, for the ROS side (every stage but prepare and
finish), for the pipeline's pre/post-processing (prepare + finish), and in total. With a
subscriber (the default) each fused image is delivered to a reliable subscription spun in this
process before the next pair starts (untimed), as at a camera's frame rate; back to back, that
thread would compete with the timed code for the GIL. Freed frame buffers are kept for reuse,
as the node keeps them (`memory.keep_freed_buffers`).
"""

from __future__ import annotations

import argparse
import os
import threading
import time

import numpy as np
import rclpy
from rclpy.executors import SingleThreadedExecutor
from rclpy.qos import ReliabilityPolicy
from sensor_msgs.msg import Image
from std_msgs.msg import Header

from textfusion_ros.config import FusionConfig
from textfusion_ros.detection.types import Detection
from textfusion_ros.imaging.image_codec import AgcConfig
from textfusion_ros.imaging.scenes import SceneConfig, generate_frame
from textfusion_ros.memory import keep_freed_buffers
from textfusion_ros.pipeline import finish_pair, prepare_pair
from textfusion_ros.ros.detections import DetectionArrays, detection_messages
from textfusion_ros.ros.messages import array_to_image, image_to_array
from textfusion_ros.ros.monitor import FusionMonitor
from textfusion_ros.ros.qos import image_qos
from textfusion_ros.stats import RollingStats

STAGES = ("decode", "prepare", "finish", "encode+message", "publish", "detections", "stats")
PIPELINE_STAGES = ("prepare", "finish")
"""The fusion pipeline's own pre/post-processing, which the CLI and bag tools run too; the
other stages are the ROS side (messages, publishing, statistics)."""
DETECTIONS = [Detection(10.0 * i, 20.0, 10.0 * i + 30, 90.0, 0.9, "person") for i in range(10)]
TOPIC = f"/textfusion_bench_{os.getpid()}/fused"


def input_messages(height: int, width: int) -> tuple[Image, Image]:
    """A synthetic mono16 IR and bgr8 VIS message pair, as received."""
    ir, vis = generate_frame(SceneConfig(height=height, width=width, ir_bits=16), 0)
    header = Header(frame_id="vis")
    ir_msg = Image(header=header, height=height, width=width, encoding="mono16",
                   step=width * 2)
    ir_msg.data = ir.astype("<u2").tobytes()
    vis_msg = Image(header=header, height=height, width=width, encoding="bgr8",
                    step=width * 3)
    vis_msg.data = vis.tobytes()
    return ir_msg, vis_msg


def run(height: int, width: int, iterations: int, subscriber: bool) -> dict[str, np.ndarray]:
    """Per-stage times (ms) of `iterations` pairs, after a warm-up."""
    context = rclpy.Context()
    rclpy.init(context=context)
    node = rclpy.create_node("textfusion_bench_overhead", context=context)
    executor = SingleThreadedExecutor(context=context)
    delivered = threading.Event()
    qos = image_qos(ReliabilityPolicy.RELIABLE, 5)
    publisher = node.create_publisher(Image, TOPIC, qos)
    msgs = detection_messages("auto")
    arrays = DetectionArrays(msgs)
    detections_pub = node.create_publisher(msgs.Detection2DArray, f"{TOPIC}_detections", 10)
    thread = threading.Thread(target=executor.spin)
    if subscriber:
        node.create_subscription(Image, TOPIC, lambda _: delivered.set(), qos)
        executor.add_node(node)
        thread.start()
        deadline = time.monotonic() + 10.0
        while publisher.get_subscription_count() == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
    ir_msg, vis_msg = input_messages(height, width)
    defaults = FusionConfig()
    agc = AgcConfig(defaults.agc_low_percentile, defaults.agc_high_percentile)
    monitor, timing = FusionMonitor(300, 3.0), RollingStats(300)
    warmup = 20
    times = np.zeros((warmup + iterations, len(STAGES)))
    try:
        for i in range(len(times)):
            t0 = time.perf_counter()
            ir, vis = image_to_array(ir_msg), image_to_array(vis_msg)
            t1 = time.perf_counter()
            pair = prepare_pair(ir, vis, agc, defaults.max_pixels)
            t2 = time.perf_counter()
            fused = finish_pair(pair, pair.vis_y)  # the visible luminance stands in
            t3 = time.perf_counter()
            msg = array_to_image(fused, vis_msg.header)
            t4 = time.perf_counter()
            publisher.publish(msg)
            t5 = time.perf_counter()
            detections_pub.publish(arrays.build(DETECTIONS, vis_msg.header))
            t6 = time.perf_counter()
            timing.add(t3 - t1)  # the pipeline's and the detector's timings
            timing.add(t6 - t5)
            monitor.on_published((t6 - t0) * 1e3)
            t7 = time.perf_counter()
            times[i] = np.diff([t0, t1, t2, t3, t4, t5, t6, t7]) * 1e3
            if subscriber:
                if not delivered.wait(1.0):
                    raise RuntimeError("the subscriber did not receive a fused image")
                delivered.clear()
    finally:
        executor.shutdown()
        if thread.is_alive():
            thread.join()
        node.destroy_node()
        rclpy.shutdown(context=context)
    result = {stage: times[warmup:, i] for i, stage in enumerate(STAGES)}
    result["ros side"] = sum(v for k, v in result.items() if k not in PIPELINE_STAGES)
    result["pre/post"] = sum(result[k] for k in PIPELINE_STAGES)
    result["total"] = times[warmup:].sum(axis=1)
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--height", type=int, default=512)
    parser.add_argument("--width", type=int, default=640)
    parser.add_argument("--iterations", type=int, default=500)
    parser.add_argument("--no-subscriber", dest="subscriber", action="store_false",
                        help="publish with nobody subscribed")
    args = parser.parse_args(argv)
    os.environ.setdefault("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST")
    keep_freed_buffers()  # as the node does
    result = run(args.height, args.width, args.iterations, args.subscriber)
    print(f"{args.width}x{args.height} mono16 IR + bgr8 VIS, {args.iterations} pairs, "
          f"{'with' if args.subscriber else 'without'} a subscriber")
    for stage, values in result.items():
        print(f"  {stage:15s} median {np.median(values):6.3f} ms   "
              f"p99 {np.percentile(values, 99):6.3f} ms")


if __name__ == "__main__":
    main()
