"""Lane labels a person can read: MXNet's unnamed 64-bit ids become short numbers."""

from opscope.profiling.lanes import LaneTable


def test_unnamed_64_bit_ids_read_as_short_numbers():
    table = LaneTable()
    table.metadata("process_name", 7, 0, {"name": "cpu/0"})
    big = 849786139768988538
    assert table.describe((big, 3)).label == "process 1 / thread 3"
    assert table.describe((big + 1, 3)).process == "process 2"
    assert table.describe((7, 2985562354989969506)).label == "cpu/0 / thread 1"
    assert table.describe((7, 16926546463951574197)).thread == "thread 2"
    assert table.describe((7, 2985562354989969506)).thread == "thread 1"  # stable
    assert table.describe((7, 12)).thread == "thread 12"  # small ids stay as they are
    assert table.describe((big, 3)).pid == str(big)  # the id itself is kept


def test_hashed_pool_thread_ids_read_as_short_numbers():
    table = LaneTable()
    table.name_thread("cpu", 1, "tf_Compute/2375736839116010474")
    table.name_thread("cpu", 2, "tf_Compute/9013348345666387456")
    table.name_thread("cpu", 3, "tf_numa_-1_Eigen/-489728977048913441")
    table.name_thread("cpu", 4, "python")
    names = [table.describe(("cpu", tid)).thread for tid in (1, 2, 3, 4)]
    assert names == ["tf_Compute/1", "tf_Compute/2", "tf_numa_-1_Eigen/1", "python"]
