"""Each DATA_POLICY value leaves exactly what the seed's table says, on a real session folder."""

import pytest

from idtracker.adapters.storage.session_folder import SessionFolder
from idtracker.application.data_policy import folders_to_remove
from idtracker.application.errors import UserError

FOLDERS = ("bounding_box_images", "crossings_detector", "identification_images", "accumulation", "regions",
           "preprocessing", "checkpoints")

#: The seed's table: what survives under each policy (trajectories always do); our stage
#: checkpoints go with the models.
KEPT = {
    "all": set(FOLDERS),
    "idmatcher.ai": {"identification_images", "accumulation", "regions", "preprocessing", "checkpoints"},
    "knowledge_transfer": {"accumulation", "regions", "preprocessing", "checkpoints"},
    "validation": {"preprocessing"},
    "trajectories": set(),
}


@pytest.mark.parametrize("policy", list(KEPT))
def test_data_policy_keeps_exactly_the_tables_folders(tmp_path, policy):
    store = SessionFolder(tmp_path / "session_x")
    for name in (*FOLDERS, "trajectories"):
        (store.folder / name).mkdir(exist_ok=True)
        (store.folder / name / "f.bin").write_bytes(b"x")
    for name in folders_to_remove(policy):
        assert store.remove(name)
    left = {p.name for p in store.folder.iterdir()}
    assert left == KEPT[policy] | {"trajectories"}


def test_unknown_data_policy_names_the_valid_ones():
    with pytest.raises(UserError, match="data_policy.*idmatcher.ai"):
        folders_to_remove("everything")
