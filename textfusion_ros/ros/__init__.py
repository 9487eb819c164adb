"""ROS 2 adapter: the fusion node. The only part of textfusion_ros that imports rclpy."""
