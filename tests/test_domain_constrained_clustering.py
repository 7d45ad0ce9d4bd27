"""Clustering fragments with coexisting ones kept apart (domain.constrained_clustering)."""

import numpy as np
from idtracker.domain.coexistence import Coexistence
from idtracker.domain.constrained_clustering import constrained_kmeans, fragment_means, seeded_centres


def _three_animals():
    """Fragments of three animals in a 2D embedding, in three stretches of 10 frames where all
    three are apart. Animals 0 and 1 lie close (0.3 apart); animal 2's images fall in two clouds
    8 apart (a posture the encoder has not pulled together yet). Nearest centres started one per
    cloud put animals 0 and 1 in one cluster and split animal 2."""
    rng = np.random.default_rng(0)
    where = {0: [(0.0, 0.0)], 1: [(0.3, 0.0)], 2: [(10.0, 0.0), (18.0, 0.0)]}
    z, image_fragment, animal, start, stop = [], [], [], [], []
    fragment = 0
    for stretch in range(3):
        for a in range(3):
            clouds = where[a]
            centre = np.array(clouds[(stretch + a) % len(clouds)])
            z.append(centre + rng.normal(0, 0.05, (10, 2)))
            image_fragment += [fragment] * 10
            animal.append(a)
            start.append(stretch * 10)
            stop.append(stretch * 10 + 10)
            fragment += 1
    return (np.vstack(z), np.array(image_fragment), np.array(animal), np.array(start), np.array(stop))


def test_coexisting_fragments_never_share_a_cluster_and_each_animal_keeps_one():
    z, image_fragment, animal, start, stop = _three_animals()
    means, counts = fragment_means(z, image_fragment, len(animal))
    coexistence = Coexistence.of(start, stop, np.arange(len(animal)))
    start_centres = np.array([[0.15, 0.0], [10.0, 0.0], [18.0, 0.0]])  # one per cloud: the trap
    nearest = ((means[:, None] - start_centres[None]) ** 2).sum(2).argmin(1)
    assert nearest[animal == 0][0] == nearest[animal == 1][0]  # unconstrained: two animals merged

    _, cluster = constrained_kmeans(means, counts, coexistence, start_centres)

    for a in range(3):
        assert len(set(cluster[animal == a])) == 1, f"animal {a} split over clusters {cluster[animal == a]}"
    assert len({cluster[animal == a][0] for a in range(3)}) == 3


def test_fixed_fragments_stay_in_their_cluster_and_seeding_starts_from_them():
    z, image_fragment, animal, start, stop = _three_animals()
    means, counts = fragment_means(z, image_fragment, len(animal))
    coexistence = Coexistence.of(start, stop, np.arange(len(animal)))
    anchors = np.array([2, 0, 1])  # the first stretch's fragments, in another order
    centres = seeded_centres(means, counts, anchors, 3, np.random.default_rng(0))
    np.testing.assert_allclose(centres, means[anchors])

    _, cluster = constrained_kmeans(means, counts, coexistence, centres, fixed=anchors)

    assert list(cluster[anchors]) == [0, 1, 2]
    for k, f in enumerate(anchors):
        assert (cluster[animal == animal[f]] == k).all()


def test_seeding_without_anchors_draws_one_centre_in_each_cloud():
    z, image_fragment, animal, start, stop = _three_animals()
    means, counts = fragment_means(z, image_fragment, len(animal))
    for seed in range(5):
        centres = seeded_centres(means, counts, np.zeros(0, np.int64), 3, np.random.default_rng(seed))
        cloud = np.digitize(centres[:, 0], [5.0, 14.0])  # the close pair, animal 2's two looks
        assert sorted(cloud) == [0, 1, 2], centres
