"The console scripts as a user runs them: help, and one clear line (no traceback) for each kind of bad input."
import json, subprocess, sys
from pathlib import Path
import pytest

BIN = Path(sys.executable).parent  # the console scripts as installed (`python -c` would skip their parsers)

def run(script, *args, cwd=None):
    return subprocess.run([str(BIN / script), *map(str, args)], capture_output=True, text=True, timeout=300, cwd=cwd)

@pytest.mark.parametrize('script', ['idla-simulate', 'idla-experiment', 'idla-scale-benchmark', 'idla-partition', 'idla-train'])
def test_help_prints_usage_without_running(script):
    r = run(script, '--help')
    assert r.returncode == 0 and 'usage:' in r.stdout and r.stderr == ''

def write(tmp_path, name, text):
    p = tmp_path / name; p.write_text(text); return p

BAD = {
    'simulate: no steps': ('idla-simulate', ['--steps', '0'], 'need at least one step to simulate'),
    'simulate: negative sites': ('idla-simulate', ['--sites', '-1'], 'need at least one site'),
    'simulate: unknown type': ('idla-simulate', ['--slices', 'embb,holo'], "unknown service type 'holo'"),
    'simulate: missing mask': ('idla-simulate', ['--mask', 'absent.csv'], 'traffic mask absent.csv does not exist'),
    'experiment: malformed JSON': ('idla-experiment', ['--config', '{bad.json}'], 'bad.json is not readable: Expecting'),
    'experiment: sites as text': ('idla-experiment', ['--config', '{seven.json}'], "need at least one site (3 cells), got n_sites='seven'"),
    'experiment: unknown network setting': ('idla-experiment', ['--config', '{colour.json}'], "unknown experiment.sim setting(s) ['colour']; known: n_sites"),
    'experiment: negative steps': ('idla-experiment', ['--config', '{steps.json}'], 'steps must be an integer >= 2, got -5'),
    'experiment: unknown setting': ('idla-experiment', ['--config', '{unknown.json}'], "unknown experiment setting(s) ['colour']"),
    'experiment: missing config': ('idla-experiment', ['--config', 'absent.json'], 'experiment config absent.json does not exist'),
    'experiment: negative sites': ('idla-experiment', ['--set', 'sim.n_sites=-2'], '--set sim.n_sites=-2: need at least one site (3 cells), got n_sites=-2'),
    'experiment: bad estimator': ('idla-experiment', ['--set', 'estimator=none'], "--set estimator=none: estimator must be 'shipped' or 'train'"),
    'experiment: set without a value': ('idla-experiment', ['--set', 'steps'], "--set steps: give a setting as name=value"),
    'experiment: set an unknown name': ('idla-experiment', ['--set', 'colour=red'], "--set colour=red: unknown experiment setting(s) ['colour']"),
    'experiment: set a network setting': ('idla-experiment', ['--set', 'sim.load_scale=-1'], "--set sim.load_scale=-1: SimConfig.load_scale must be positive"),
    'experiment: no seeds': ('idla-experiment', ['--seeds', '0'], 'seeds must be an integer >= 1, got 0'),
    'experiment: no workers': ('idla-experiment', ['--workers', '0'], '--workers must be at least 1, got 0'),
    'experiment: td3 as text': ('idla-experiment', ['--config', '{td3.json}'], "td3 must be true or false, got 'yes'"),
    'experiment: negative seed names the option': ('idla-experiment', ['--seed', '-1'], '--seed: experiment setting seed must be an integer >= 0, got -1'),
    'experiment: an evaluation seed outside the protocol': ('idla-experiment', ['--seed', '{evaluation}'], "are the protocol's evaluation seeds: run them with --protocol alone"),
    'experiment: protocol with settings': ('idla-experiment', ['--protocol', '--set', 'steps=4'], '--protocol runs the registered evaluation as it stands'),
    'partition: bad PLMN': ('idla-partition', ['--kpis', 'k.csv', '--out', 'o', '--network', 'plmn=31041'], "PLMN '31041' is not MCC-MNC"),
    'partition: unknown network setting': ('idla-partition', ['--kpis', 'k.csv', '--out', 'o', '--network', 'nprb=50'], "unknown network setting(s) ['nprb']; known: scenario"),
    'partition: network setting out of range': ('idla-partition', ['--kpis', 'k.csv', '--out', 'o', '--network', 'n_prb=0'], 'RadioConfig.n_prb must be positive, got 0'),
    'partition: no Dask workers': ('idla-partition', ['--kpis', 'k.csv', '--out', 'o', '--dask', '0'], '--dask must be a number of worker processes >= 1'),
    'train: unknown training setting': ('idla-train', ['--kpis', 'k.csv', '--out', 'm.pt', '--set', 'max_epoch=3'], "unknown training (--set) setting(s) ['max_epoch']"),
    'train: a setting without a value': ('idla-train', ['--kpis', 'k.csv', '--out', 'm.pt', '--set', 'max_epochs'], "give a setting as name=value, e.g. max_epochs=40; got 'max_epochs'"),
    'scale benchmark: negative cells': ('idla-scale-benchmark', ['--cells', '-5'], '--cells, --chunk and --gpu_chunk must be positive'),
}

@pytest.mark.parametrize('case', BAD)
def test_bad_input_gets_one_line_and_exit_2(case, tmp_path):
    script, args, message = BAD[case]
    files = {'bad.json': '{"n_sites": 7,', 'seven.json': json.dumps({'sim': {'n_sites': 'seven'}}),
             'colour.json': json.dumps({'sim': {'colour': 'red'}}), 'steps.json': json.dumps({'steps': -5}),
             'unknown.json': json.dumps({'colour': 'red'}), 'td3.json': json.dumps({'td3': 'yes'})}
    from idla_nbdev.claims import PROTOCOL  # '{evaluation}': its first evaluation seed, never a literal (test_protocol.py)
    args = [str(PROTOCOL.evaluation_seeds[0]) if a == '{evaluation}' else
            str(write(tmp_path, a[1:-1], files[a[1:-1]]).name) if a.startswith('{') else a for a in args]
    r = run(script, *args, '--out', 'results', cwd=tmp_path) if script == 'idla-experiment' else run(script, *args, cwd=tmp_path)
    lines = r.stderr.strip().splitlines()
    assert r.returncode == 2 and len(lines) == 1 and 'Traceback' not in r.stderr, r.stderr
    assert lines[0].startswith('error: ') and message in lines[0], lines[0]
    assert not (tmp_path / 'results').exists()  # rejected before anything was written

@pytest.mark.parametrize('option', ['--cells', '--chunk', '--gpu_chunk'])
def test_scale_benchmark_rejects_bad_sizes_in_one_line(option):
    bad = run('idla-scale-benchmark', option, '0')
    assert bad.returncode == 2 and bad.stderr.strip() == \
        'error: --cells, --chunk and --gpu_chunk must be positive and --busiest in (0, 1]', bad.stderr

def test_experiment_help_lists_the_config_fields():
    from idla_nbdev.experiment import ExperimentConfig
    help_text = ' '.join(run('idla-experiment', '--help').stdout.split())
    assert all(field in help_text for field in ExperimentConfig.__dataclass_fields__), help_text

def test_simulate_writes_into_a_folder_it_creates(tmp_path):
    r = run('idla-simulate', '--steps', '1', '--sites', '1', '--out', tmp_path / 'new' / 'deeper' / 'kpis.csv')
    assert r.returncode == 0 and (tmp_path / 'new' / 'deeper' / 'kpis.csv').stat().st_size > 0, r.stderr

def test_a_script_without_a_main_guard_gets_one_clear_error(tmp_path):
    "A local Dask cluster started from a script that its worker processes import again: one message, no Nanny pages."
    script = write(tmp_path, 'unguarded.py', "from idla_nbdev.scale import local_client\nlocal_client(1)\n")
    r = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert r.returncode != 0 and "if __name__ == '__main__':" in r.stderr.strip().splitlines()[-1], r.stderr[-2000:]

@pytest.mark.parametrize('content', [b'this is a text file, not a checkpoint\n', 'truncated'])
def test_broken_checkpoints_get_one_clear_line(content, tmp_path):
    from idla_nbdev.estimator import load_estimator, default_checkpoint
    path = tmp_path / 'model.pt'
    path.write_bytes(default_checkpoint().read_bytes()[:5000] if content == 'truncated' else content)
    with pytest.raises(ValueError) as e: load_estimator(path)
    msg = str(e.value)
    assert len(msg.splitlines()) == 1 and 'weights_only' not in msg and str(path) in msg and 'not a torch checkpoint' in msg, msg
