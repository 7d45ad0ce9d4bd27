"""What a tracking session tells the world, as small typed records (never arrays).

Events are named in the past tense and carry counts, paths and timings. Adapters decide how
they are shown (terminal) and stored (JSON lines in ``idtrackerai.log``).
"""

from __future__ import annotations

import attrs


@attrs.frozen
class Event:
    """Base of every event; ``level`` is the log level the sinks use."""

    @property
    def level(self) -> str:
        return "info"

    @property
    def name(self) -> str:
        """snake_case event name, e.g. ``BlobsSegmented`` -> ``blobs_segmented``."""
        out = []
        for i, c in enumerate(type(self).__name__):
            if c.isupper() and i:
                out.append("_")
            out.append(c.lower())
        return "".join(out)


@attrs.frozen
class SessionStarted(Event):
    session: str
    session_folder: str
    video_paths: tuple[str, ...]
    number_of_frames: int
    number_of_episodes: int
    number_of_workers: int
    parameters: dict


@attrs.frozen
class BackgroundComputed(Event):
    stat: str
    number_of_frames: int
    path: str
    duration_s: float


@attrs.frozen
class BlobsSegmented(Event):
    number_of_blobs: int
    number_of_frames: int
    mean_blobs_per_frame: float
    frames_with_more_blobs_than_animals: int
    frames_with_no_blobs: int
    frames_per_second: float
    duration_s: float


@attrs.frozen
class CrossingsDetected(Event):
    median_body_length: float
    individual_blobs: int
    crossing_blobs: int
    sure_individual_blobs: int
    sure_crossing_blobs: int
    uncertain_blobs: int
    method: str
    duration_s: float


@attrs.frozen
class FragmentsBuilt(Event):
    number_of_fragments: int
    individual_fragments: int
    crossing_fragments: int
    global_fragments: int
    accumulable_global_fragments: int
    duration_s: float


@attrs.frozen
class FragmentsJoinedByMotion(Event):
    """Individual fragments joined through crossings and across gaps where motion leaves no
    doubt (``tracklets`` are what identification then decides on); ``motion_learnt`` False when
    the fragments were too short to learn this video's motion from, and nothing was joined."""

    crossings: int
    crossing_joins: int
    gap_joins: int
    tracklets: int
    min_probability: float
    motion_learnt: bool
    duration_s: float


@attrs.frozen
class MotionFused(Event):
    """Tracklets joined after identification where motion and appearance together are sure;
    ``correlation_time`` is the number of consecutive images that make one independent look,
    ``appearance_weight`` the share of those looks' evidence believed (``appearance_weight``),
    ``crossings_revised`` the crossings whose joins by motion appearance overturned."""

    correlation_time: float
    appearance_weight: float
    crossings_revised: int
    joins: int
    tracklets: int
    labels_changed: int
    duration_s: float


@attrs.frozen
class IdentitiesAssigned(Event):
    method: str
    number_of_identities: int
    estimated_accuracy: float | None
    duration_s: float


@attrs.frozen
class TrajectoriesWritten(Event):
    formats: tuple[str, ...]
    folder: str
    fraction_identified: float
    duration_s: float


@attrs.frozen
class DataPolicyApplied(Event):
    policy: str
    removed: tuple[str, ...]


@attrs.frozen
class SessionFinished(Event):
    session_folder: str
    duration_s: float
    stage_durations_s: dict


@attrs.frozen
class SessionFailed(Event):
    error: str

    @property
    def level(self) -> str:
        return "error"


@attrs.frozen
class WarningRaised(Event):
    message: str

    @property
    def level(self) -> str:
        return "warning"


@attrs.frozen
class IdentificationImagesBuilt(Event):
    number_of_images: int
    image_size: int
    resolution_reduction: float
    duration_s: float


@attrs.frozen
class AccumulationStepFinished(Event):
    step: int
    training_images: int
    epochs: int
    new_global_fragments: int
    new_single_fragments: int
    fragments_named_by_crossings: int
    labelled_fragments: int
    ratio_accumulated_images: float
    validation_accuracy: float
    duration_s: float


@attrs.frozen
class FragmentsPooled(Event):
    round: int
    contradicted_labels_dropped: int
    fragments_pooled: int
    images_pooled: int
    epochs: int
    duration_s: float
    #: of the identity CNN trained on the pooled labels (images held out of its training), the
    #: information (nats per image) that shows, and whether the pool was kept for it.
    validation_accuracy: float = float("nan")
    information: float = float("nan")
    kept: bool = True


@attrs.frozen
class ResidualFragmentsAssigned(Event):
    fragments: int
    unassigned: int
    #: labels dropped because they broke a crossing's conservation, and fragments that took their
    #: best identity back from weaker coexisting holders.
    crossing_violations_dropped: int
    reclaimed: int
    duration_s: float


@attrs.frozen
class CrossingsResolved(Event):
    placements: int
    positions: int
    duration_s: float


@attrs.frozen
class ImpossibleJumpsCorrected(Event):
    fragments_changed: int
    speed_limit_px_per_frame: float
    duration_s: float


@attrs.frozen
class ContrastiveEvaluated(Event):
    batches: int
    loss: float
    silhouette_score: float
    ratio_sure_images: float
    evaluations_without_more_sure_images: int
    estimated_accuracy: float = float("nan")

    @property
    def level(self) -> str:
        return "debug"


@attrs.frozen
class ContrastiveJudged(Event):
    """A contrastive result with stable sure labels that is not final yet (training goes on while
    its estimated accuracy rises)."""

    batches: int
    estimated_accuracy: float

    @property
    def level(self) -> str:
        return "debug"


@attrs.frozen
class FewGlobalFragments(Event):
    """The global fragments cannot give the contrastive step's sure labels enough images to be
    final: single fragments the clusters are sure of count too, and if the result is still not
    final, accumulation starts from its labels."""

    reachable_ratio: float
    contrastive_min_accumulation: float

    @property
    def level(self) -> str:
        return "warning"


@attrs.frozen
class AccumulationWarmStarted(Event):
    """Accumulation starts from the fragments a contrastive step's clusters make certain besides
    the first global fragment's: ``fragments`` labelled, with ``images``."""

    fragments: int
    images: int


@attrs.frozen
class LowEstimatedAccuracy(Event):
    """The identities estimate fewer than 99 % right images: what the user can try is in ``advice``."""

    estimated_accuracy: float
    method: str
    advice: str

    @property
    def level(self) -> str:
        return "warning"


@attrs.frozen
class ContrastiveBatchReduced(Event):
    """The contrastive batch used differs from contrastive_batchsize (a CPU trains faster in
    many small batches): said, never silent."""

    contrastive_batchsize: int
    pairs_per_batch: int
    device: str


@attrs.frozen
class TrainingImagesCapped(Event):
    """Accumulation's steps train on fewer images per animal than maximal_images_per_animal: each
    step sees at most ``images_per_step`` in all (the CNN keeps its weights between steps)."""

    maximal_images_per_animal: int
    images_per_animal: int
    images_per_step: int


@attrs.frozen
class NoGlobalFragment(Event):
    """No stretch of frames shows all animals apart: identities are learnt from the frame where most
    are (``animals_apart`` of ``number_of_animals``, at ``frame``); animals never seen there are
    named by elimination and through crossings."""

    number_of_animals: int
    animals_apart: int
    frame: int
    fragment_connectivity: float

    @property
    def level(self) -> str:
        return "warning"


@attrs.frozen
class ContrastiveRejected(Event):
    """The contrastive identities are not final: too few sure images or too low an estimated
    accuracy; the accumulation protocol identifies instead."""

    ratio_accumulated_images: float
    contrastive_min_accumulation: float
    estimated_accuracy: float
    min_estimated_accuracy: float

    @property
    def level(self) -> str:
        return "warning"


@attrs.frozen
class ContrastiveStepFinished(Event):
    batches: int
    silhouette_score: float
    ratio_accumulated_images: float
    duration_s: float


@attrs.frozen
class KnowledgeTransferLoaded(Event):
    """A previous session's model (``kind`` contrastive or cnn, at ``source``) will start training and
    name the identities; its identification image geometry is this session's."""

    source: str
    kind: str
    number_of_identities: int
    id_image_size: int
    resolution_reduction: float


@attrs.frozen
class ModelWarmStarted(Event):
    """A network (contrastive encoder or identity CNN) starts from the transferred weights."""

    network: str
    source: str


@attrs.frozen
class IdentitiesTransferred(Event):
    """How this session's identities match the previous session's: ``agreement`` per identity (share
    of its images the previous model gives to its match), ``quality`` the weakest; identities are
    renamed only when ``succeeded`` (every match by a majority)."""

    succeeded: bool
    quality: float
    match: tuple[int, ...]
    agreement: tuple[float, ...]

    @property
    def level(self) -> str:
        return "info" if self.succeeded else "warning"


@attrs.frozen
class SessionsMatched(Event):
    """idmatcher.ai: ``session``'s identities matched to ``master``'s (``assignment``: master identity
    of identity 1, 2, ...; 0 unmatched); ``agreement`` the share of the joined counts on the
    assignment, the scores (1 unanimous, 0 a tie) averaged over identities."""

    master: str
    session: str
    agreement: float
    mean_direct_score: float
    mean_indirect_score: float
    mean_score: float
    assignment: tuple[int, ...]
    assignments_csv: str


@attrs.frozen
class ClustersInspected(Event):
    """idtrackerai_inspect_clusters drew ``images`` images of ``number_of_identities`` identities at ``picture``."""

    session: str
    images: int
    number_of_identities: int
    picture: str


@attrs.frozen
class RegionsSplit(Event):
    """exclusive_rois: each region is identified on its own, with these animals (region 0 first)."""

    animals_per_region: tuple[int, ...]


@attrs.frozen
class TrackedVideoWritten(Event):
    """idtrackerai_video wrote ``path`` (``frames`` frames, ``number_of_identities`` drawn)."""

    path: str
    frames: int
    number_of_identities: int
    duration_s: float


@attrs.frozen
class ValidationSaved(Event):
    """The validator saved ``session`` after ``edits`` edits (``files`` files written)."""

    session: str
    edits: int
    files: int


@attrs.frozen
class ProgressAdvanced(Event):
    """Long work moved on: ``done`` of ``total`` units (None: unknown) of ``description``. Given to
    embedding software's ``on_event`` as it happens; the log and terminal show progress as bars."""

    description: str
    done: int
    total: int | None

    @property
    def level(self) -> str:
        return "debug"


@attrs.frozen
class JobQueued(Event):
    """The daemon saw ``video`` arrive whole (size steady, decodes) and queued it."""

    video: str
    size_bytes: int


@attrs.frozen
class JobStarted(Event):
    """The daemon started tracking ``video`` (``attempt`` counts restarts after a kill)."""

    video: str
    attempt: int


@attrs.frozen
class JobFinished(Event):
    video: str
    session_folder: str
    duration_s: float


@attrs.frozen
class JobFailed(Event):
    """Tracking ``video`` failed with ``error`` (one line); retried only when the file changes."""

    video: str
    error: str
    log: str

    @property
    def level(self) -> str:
        return "error"


@attrs.frozen
class ReportWritten(Event):
    """The session's report.html (its plots in report/) is at ``path``."""

    path: str
    duration_s: float


@attrs.frozen
class CheckpointResumed(Event):
    """A stage's result was read from the session's checkpoint instead of computed again."""

    stage: str
    detail: str


@attrs.frozen
class CheckpointOutdated(Event):
    """A stage's checkpoint was computed from other inputs (``changed``): the stage runs again."""

    stage: str
    changed: tuple[str, ...]


@attrs.frozen
class SessionAlreadyDone(Event):
    """The session folder already holds this session, finished with the same parameters."""

    session_folder: str
    trajectories_folder: str
    to_track_again: str = "run the same command with --overwrite"


@attrs.frozen
class SessionsOnDask(Event):
    """The daemon runs its sessions as tasks of this Dask scheduler, ``capacity`` at once."""

    scheduler: str
    capacity: int
