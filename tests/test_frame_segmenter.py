"""The OpenCV frame segmenter: blobs of a real frame, and crops that do not hold the frame."""

import cv2
import numpy as np
from idtracker.adapters.segmentation.opencv_segmenter import FrameSegmenter


def test_crops_are_the_blob_pixels_and_do_not_keep_the_frame_alive():
    frame = np.full((400, 600), 200, np.uint8)
    cv2.ellipse(frame, (100, 120), (30, 10), 20, 0, 360, 40, -1)
    cv2.ellipse(frame, (400, 300), (25, 8), -45, 0, 360, 60, -1)
    blobs = FrameSegmenter((0, 140), (50, np.inf))(frame)
    assert len(blobs.crops) == 2
    for crop, (x, y, w, h) in zip(blobs.crops, blobs.boxes):
        np.testing.assert_array_equal(crop, frame[y:y + h, x:x + w])
        # an episode keeps every frame's crops until it is tabled: views would keep 500 whole frames
        # (2 GB at 2000 x 2000 px) where the crops need a few MB
        assert not np.shares_memory(crop, frame)
