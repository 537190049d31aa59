"""new_subgroups / new_subgroups_by_enumeration: several process groups in one call."""

from __future__ import annotations

from .distributed_c10d import get_process_group_ranks, get_rank, get_world_size, new_group


def new_subgroups(group_size: int | None = None, group=None, timeout=None, backend=None,
                  pg_options=None, group_desc=None) -> tuple:
    """Splits group (the world when None) into consecutive subgroups of group_size ranks
    (the number of CUDA devices when None). Every rank must call it.

    Returns (the subgroup holding this rank, every subgroup).

    Example:
        >>> mine, everyone = dist.new_subgroups(group_size=2)   # 4 ranks: [0, 1], [2, 3]
    """
    if group_size is None:
        import ember
        if not ember.cuda.is_available():
            raise ValueError("Default group size only takes effect when CUDA is available. "
                             "If your subgroup uses a backend that does not depend on CUDA, "
                             "please pass in 'group_size' correctly.")
        group_size = ember.cuda.device_count()
    if group_size <= 0:
        raise ValueError(f"The arg 'group_size' ({group_size}) must be positive")
    world_size = get_world_size(group=group)
    if world_size < group_size:
        raise ValueError(f"The arg 'group_size' ({group_size}) must not exceed the world size "
                         f"({world_size})")
    if world_size % group_size != 0:
        raise ValueError(f"The world size ({world_size}) must be divisible by "
                         f"'group_size={group_size}'")
    ranks = get_process_group_ranks(group)
    return new_subgroups_by_enumeration(
        [ranks[i:i + group_size] for i in range(0, len(ranks), group_size)],
        timeout=timeout, backend=backend, pg_options=pg_options, group_desc=group_desc)


def new_subgroups_by_enumeration(ranks_per_subgroup_list: list[list[int]], timeout=None,
                                 backend=None, pg_options=None, group_desc=None) -> tuple:
    """One subgroup per list of global ranks (the lists must not overlap; a rank may be in
    none). Every rank must call it.

    Returns (the subgroup holding this rank, or None, and every subgroup).

    Example:
        >>> mine, everyone = dist.new_subgroups_by_enumeration([[0, 2], [1, 3]])
    """
    if not ranks_per_subgroup_list:
        raise ValueError("The arg 'ranks_per_subgroup_list' cannot be empty")
    owner: dict[int, list[int]] = {}
    for ranks in ranks_per_subgroup_list:  # checked before any group is made, on all ranks
        for r in ranks:
            if r in owner:
                raise ValueError(f"Rank {r} has appeared in both subgroup {owner[r]} and "
                                 f"{ranks}")
            owner[r] = ranks
    me = get_rank()
    subgroups, mine = [], None
    for ranks in ranks_per_subgroup_list:
        subgroup = new_group(ranks=ranks, timeout=timeout, backend=backend,
                             pg_options=pg_options, group_desc=group_desc)
        subgroups.append(subgroup)
        if me in ranks:
            mine = subgroup
    return mine, subgroups
