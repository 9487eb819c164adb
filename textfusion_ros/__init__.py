"""Real-time, text-guided infrared + visible image fusion (ROS-free core)."""

__version__ = "0.1.0"
