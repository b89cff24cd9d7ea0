"""The local fault plan: parsing $CHECKPOINT_FAULTS and counting faults per checkpoint."""
import pytest

from chalicelib.local.faults import Fault, FaultInjector, FaultKind, FaultSpecError, parse


def test_parse_reads_each_task_and_fault():
    assert parse(" screen=transient:2, verify_identity=permanent,record_decision=crash_after:1 ,") == {
        "screen": Fault(FaultKind.TRANSIENT, 2),
        "verify_identity": Fault(FaultKind.PERMANENT),
        "record_decision": Fault(FaultKind.CRASH_AFTER, 1),
    }
    assert parse("") == {}


@pytest.mark.parametrize("spec, words", [
    ("screen=flaky:2", "must be one of"),
    ("=transient:1", "name a task"),
    ("screen=transient", "how many times"),
    ("screen=transient:0", "how many times"),
    ("screen=permanent:3", "takes no count"),
])
def test_parse_refuses_what_it_cannot_honour(spec, words):
    with pytest.raises(FaultSpecError, match=words):
        parse(spec)


def test_counted_faults_hit_each_checkpoint_n_times_and_permanent_ones_always():
    injector = FaultInjector()
    spec = "screen=transient:2,mark_failed=permanent"
    hits = [injector.fault_for(spec, "screen", "cp_a") for _ in range(3)]
    assert hits == [Fault(FaultKind.TRANSIENT, 2)] * 2 + [None]
    assert injector.fault_for(spec, "screen", "cp_b") == Fault(FaultKind.TRANSIENT, 2)  # counted per checkpoint
    assert injector.fault_for(spec, "verify_identity", "cp_a") is None
    assert all(injector.fault_for(spec, "mark_failed", "cp_a") for _ in range(5))


def test_a_new_plan_starts_counting_afresh():
    injector = FaultInjector()
    assert injector.fault_for("screen=transient:1", "screen", "cp_a")
    assert injector.fault_for("screen=transient:1", "screen", "cp_a") is None
    assert injector.fault_for("screen=crash_after:1", "screen", "cp_a") == Fault(FaultKind.CRASH_AFTER, 1)
    assert injector.fault_for("", "screen", "cp_a") is None
