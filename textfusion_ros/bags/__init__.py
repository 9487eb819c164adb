"""Rosbag tools: reading and writing bags, synthetic bags, offline bag evaluation."""
