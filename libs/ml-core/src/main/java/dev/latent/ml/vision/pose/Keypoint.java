package dev.latent.ml.vision.pose;

/** A named body keypoint in image pixels (x right, y down) with a score in [0, 1]. */
public record Keypoint(String name, double x, double y, double score) {}
