"The check CI runs on the steps' committed outputs (tools/outputs.py): it fails for an output whose cell has changed since."
import json, sys
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parents[1]/'tools'))
import outputs

def notebook(tmp_path, src, printed, stamp_of=None):
    "A notebook of one code cell that printed `printed`, stamped with the digest of `stamp_of` (default: its own source)."
    cell = {'cell_type': 'code', 'source': src, 'outputs': [{'output_type': 'stream', 'name': 'stdout', 'text': printed}], 'metadata': {}}
    cell['metadata']['ran'] = outputs.digest({'source': stamp_of if stamp_of is not None else src})
    path = tmp_path/'step.ipynb'
    path.write_text(json.dumps({'cells': [cell], 'metadata': {}, 'nbformat': 4, 'nbformat_minor': 5}))
    return path

def test_current_output_passes(tmp_path):
    assert outputs.problems(notebook(tmp_path, 'print(6 * 7)', '42\n')) == []

def test_output_of_an_older_source_fails(tmp_path):
    assert outputs.problems(notebook(tmp_path, 'print(6 * 8)', '42\n', stamp_of='print(6 * 7)')) == [
        "step.ipynb, cell 0 ('print(6 * 8)'): its outputs come from another version of its source"]

def test_output_without_a_stamp_fails(tmp_path):
    path = notebook(tmp_path, 'print(6 * 7)', '42\n')
    nb = json.loads(path.read_text()); nb['cells'][0]['metadata'] = {}; path.write_text(json.dumps(nb))
    assert len(outputs.problems(path)) == 1

def test_output_with_a_path_of_this_machine_fails(tmp_path):
    assert 'its outputs hold' in outputs.problems(notebook(tmp_path, 'print(x)', f'{outputs.ROOT}/nbs\n'))[0]
