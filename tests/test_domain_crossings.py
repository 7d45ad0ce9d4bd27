"""Following identities through crossing blobs and splitting the blobs among them."""

import cv2
import numpy as np

from idtracker.domain.blobs import BlobTable
from idtracker.domain.crossing_resolution import Placement, follow_identities, split_positions
from idtracker.domain.polygon import polygon_pixels


def _contour_of(mask: np.ndarray) -> np.ndarray:
    contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    return contours[0].reshape(-1, 2)


def test_polygon_pixels_match_opencv_filled_contour():
    mask = np.zeros((40, 50), np.uint8)
    cv2.ellipse(mask, (25, 20), (15, 6), 30, 0, 360, 1, -1)
    pixels = polygon_pixels(_contour_of(mask))
    ours = np.zeros_like(mask)
    ours[pixels[:, 1], pixels[:, 0]] = 1
    assert (ours != mask).sum() <= 0.02 * mask.sum()


def _table(frames, masks) -> BlobTable:
    contours = [_contour_of(m) for m in masks]
    centroid = np.array([np.argwhere(m)[:, ::-1].mean(0) for m in masks])
    boxes = np.array([cv2.boundingRect(c) for c in contours], np.int32)
    offsets = np.concatenate([[0], np.cumsum([len(c) for c in contours])])
    return BlobTable(np.array(frames), centroid, np.array([float(m.sum()) for m in masks]), boxes,
                     np.concatenate(contours).astype(np.int32), offsets.astype(np.int64))


def _disc(x, y, r=5, shape=(60, 100)):
    m = np.zeros(shape, np.uint8)
    cv2.circle(m, (x, y), r, 1, -1)
    return m


def _two_animals_meeting(gap: int) -> tuple[BlobTable, np.ndarray]:
    """Frame 0: A at x=30, B at x=70; frames 1-2: one blob of both, ``gap`` px apart; frame 3: A at
    40, B at 60. Blobs in that order (A, B, merged, merged, A, B) and their overlap links."""
    merged = np.maximum(_disc(50 - gap // 2, 30), _disc(50 + gap // 2, 30))
    masks = [_disc(30, 30), _disc(70, 30), merged, merged, _disc(40, 30), _disc(60, 30)]
    return _table([0, 0, 1, 2, 3, 3], masks), np.array([[0, 2], [1, 2], [2, 3], [3, 4], [3, 5]])


def test_two_animals_are_followed_through_their_crossing_and_split_apart():
    blobs, links = _two_animals_meeting(10)
    identity = np.array([1, 2, 0, 0, 1, 2])
    individual = np.array([True, True, False, False, True, True])
    placements = follow_identities(blobs, links, identity, individual)
    assert sorted((p.blob, p.identity) for p in placements) == [(2, 1), (2, 2), (3, 1), (3, 2)]
    positions = split_positions(blobs, placements, identity, animal_area=80.0)
    assert positions[(2, 1)][0] < 50 < positions[(2, 2)][0]
    assert abs(positions[(2, 1)][0] - 45) < 3 and abs(positions[(2, 2)][0] - 55) < 3


def _body(x, y, angle, shape=(80, 120)):
    m = np.zeros(shape, np.uint8)
    cv2.ellipse(m, (x, y), (22, 4), angle, 0, 360, 1, -1)
    return m


def test_two_elongated_animals_crossing_at_an_angle_each_keep_their_own_body():
    # Two animals (44 x 8 px) crossing at 60 degrees: one X-shaped blob. Their expected positions
    # (from either end of the crossing) are 4 px off; each must get the centre of its own body,
    # which round clusters (k-means: 4.3 and 6.2 px off here) miss.
    centres = ((55, 40), (66, 42))
    blobs = _table([0], [np.maximum(_body(*centres[0], 0), _body(*centres[1], 60))])
    placements = [Placement(0, 1, (58.0, 43.0)), Placement(0, 2, (63.0, 39.0))]
    positions = split_positions(blobs, placements, np.zeros(1, np.int64), animal_area=280.0)
    for identity, centre in ((1, centres[0]), (2, centres[1])):
        assert np.linalg.norm(np.subtract(positions[(0, identity)], centre)) < 3.0, positions


def test_an_animal_hidden_in_a_blob_identified_as_another_is_followed_into_it():
    # Frames 1-2: the two animals overlap so much that the blob was taken for one animal and
    # identified as animal 2; animal 1, seen before and after, was inside it.
    blobs, links = _two_animals_meeting(6)
    identity = np.array([1, 2, 2, 2, 1, 2])
    individual = np.ones(6, bool)
    placements = follow_identities(blobs, links, identity, individual)
    assert sorted((p.blob, p.identity) for p in placements) == [(2, 1), (3, 1)]
    positions = split_positions(blobs, placements, identity, animal_area=80.0)
    assert positions[(2, 1)][0] < 50 and positions[(3, 1)][0] < 50
    assert positions[(2, 2)][0] > 50 and positions[(3, 2)][0] > 50  # the blob's own animal: its share


def test_an_identity_expected_far_from_its_blob_is_still_placed_on_the_blob():
    # The walk placed identity 2 in a blob far from where it was expected: its share of the blob
    # is still pixels of the blob, never the empty water it was expected in.
    blobs = _table([0], [np.maximum(_disc(45, 30), _disc(55, 30))])
    placements = [Placement(0, 1, (45.0, 30.0)), Placement(0, 2, (5.0, 5.0))]
    positions = split_positions(blobs, placements, np.zeros(1, np.int64), animal_area=80.0)
    for identity in (1, 2):
        x, y = positions[(0, identity)]
        assert 38 <= x <= 62 and 23 <= y <= 37, positions


def test_placed_positions_fill_gaps_and_replace_a_shared_blobs_own_centroid():
    """Identity 1 is hidden in identity 2's blob in frame 1: it gets its placed position there, and
    identity 2 its share of the blob instead of the whole blob's centroid; a placed position never
    overwrites another blob's identified centroid."""
    from idtracker.domain.trajectories import positions_by_identity, with_placed_positions

    frame, identity = np.array([0, 0, 1]), np.array([1, 2, 2])
    centroid = np.array([[0.0, 0.0], [10.0, 0.0], [6.0, 0.0]])
    out = positions_by_identity(2, 2, frame, centroid, identity)
    placed = {(2, 1): (3.0, 0.0), (2, 2): (9.0, 0.0), (1, 1): (99.0, 99.0)}
    with_placed_positions(out, frame, identity, placed)
    np.testing.assert_array_equal(out[1], [[3.0, 0.0], [9.0, 0.0]])
    np.testing.assert_array_equal(out[0], [[0.0, 0.0], [10.0, 0.0]])
