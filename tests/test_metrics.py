"""The per-step metrics recorder: the same frame as Mesa's DataCollector, in typed arrays."""

import mesa
import numpy as np
import pandas as pd

from sim.metrics import MetricsRecorder
from sim.model import SkywatchModel
from sim.outcomes import metric_reporters
from sim.scenario import Scenario

SMALL = {"world.height": 64, "world.width": 64, "run.steps": 40, "drones.count": 4, "cartels.shipments_per_day": 96.0}


def test_a_run_records_the_frame_and_csv_the_datacollector_would():
    model = SkywatchModel(Scenario().with_overrides(SMALL, "test"))
    mesa_collector = mesa.DataCollector(model_reporters=metric_reporters(model.world.corridor_names))
    mesa_collector.collect(model)
    for _ in range(SMALL["run.steps"] + 30):  # past run.steps: the arrays grow
        model.step()
        mesa_collector.collect(model)
    ours, theirs = model.datacollector.get_model_vars_dataframe(), mesa_collector.get_model_vars_dataframe()
    pd.testing.assert_frame_equal(ours, theirs)
    assert ours.to_csv() == theirs.to_csv()
    assert model.datacollector.model_vars == theirs.to_dict(orient="list")


def test_a_column_takes_the_dtype_pandas_infers_from_mixed_values():
    values = {"ints": [1, 2, 3], "int_then_float": [1, 2, 2.5], "float_then_int": [0.5, 2, 3], "bools": [True, False, True],
              "bool_then_int": [True, 1, 2], "int_then_none": [1, None, 3], "numpy_ints": [np.int64(1), 2, np.int64(3)],
              "dicts": [{"a": 1}, {"a": 2}, {"b": 3}]}
    recorder = MetricsRecorder({name: lambda row, name=name: values[name][row] for name in values}, rows=1)
    for row in range(3):
        recorder.collect(row)
    expected = pd.DataFrame(values)
    pd.testing.assert_frame_equal(recorder.get_model_vars_dataframe(), expected)
    assert recorder.get_model_vars_dataframe().to_csv() == expected.to_csv()


def test_a_recorded_object_is_a_copy():
    shared = {"a": 1}
    recorder = MetricsRecorder({"state": lambda model: shared})
    recorder.collect(None)
    shared["a"] = 2
    recorder.collect(None)
    assert recorder.model_vars["state"] == [{"a": 1}, {"a": 2}]
