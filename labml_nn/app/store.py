"""
---
title: A crash-safe file store for the labml app
summary: >
  labml-db's file drivers, made to survive a server killed mid-write: every file is replaced
  atomically (temporary file, fsync, rename), and dangling references are repaired at start-up.
---

# A crash-safe file store for the labml app

The labml app keeps everything — runs, their statuses, metric series, console output — as
*models* (one object per key) and *indexes* (a name → key map per kind). The app ships with
MongoDB drivers for these, but its database library, [labml-db](https://pypi.org/project/labml-db/),
also has drivers that keep each model in a file (`models/<key>.pkl`) and each index in one YAML
file (`indexes/<IndexName>.yaml`). That is what lets the app run on a laptop with no database
server.

Those file drivers open the destination file with `open(path, 'w')` and then write into it. Opening
for writing *truncates* the file first, so a server killed between the truncate and the end of the
write leaves an empty or half-written file behind — and a half-written pickle or YAML file cannot be
read back. The run it belonged to is gone.

### Atomic replacement

So every file is written the way the package writes all files that must survive a crash, with
[`atomic_write`](../helpers/files.html): to a temporary file in the same folder, flushed to disk,
then renamed over the old file, which a reader sees whole, old or new, never a mix. We subclass
labml-db's drivers and replace only the methods that write.

### Several files are not one transaction

Creating a run touches several files one after another: the project's list of runs, the run itself,
the run index. Each file is now always whole, but a crash can still fall *between* two of them, for
example leaving a project that lists a run whose file was never written. The app then fails on that
run for ever. So at start-up, before the app sees the data, `repair()` drops references to models
that do not exist. The client sends its data again after a failure, so the run is simply created
anew when it reports next.
"""

from pathlib import Path
from typing import Dict, List, Optional

from labml_db.driver.file import FileDbDriver
from labml_db.index_driver.file import FileIndexDbDriver
from labml_db.serializer.pickle import PickleSerializer
from labml_db.serializer.yaml import YamlSerializer

from labml_nn.helpers.cli import UserError
# Every file is written by the package's one [`atomic_write`](../helpers/files.html)
from labml_nn.helpers.files import TMP_PREFIX, atomic_write

def remove_stale_temporaries(folder: Path) -> int:
    """
    A crash between creating a temporary file and renaming it leaves the temporary file behind.
    It holds nothing that the store refers to, so it is safe to delete at start-up (and only then:
    while the server runs, a temporary file may be one that is being written).
    """
    removed = 0
    if not folder.is_dir():
        return removed
    for f in folder.iterdir():
        if f.name.startswith(TMP_PREFIX):
            f.unlink()
            removed += 1
    return removed


class AtomicFileDbDriver(FileDbDriver):
    """
    Stores each model in its own file, `<folder>/<key>.pkl`, written atomically.

    Reading is inherited unchanged: a reader only ever meets complete files now.
    """

    def save_dict(self, key: str, data):
        path = self._db_path / f'{key}.{self._serializer.file_extension}'
        content = self._serializer.to_string(data)
        # The YAML and JSON serializers return text; the pickle one returns bytes.
        if isinstance(content, str):
            content = content.encode('utf-8')
        atomic_write(path, content)

    def get_all(self) -> List[str]:
        # All keys of this model kind: files named `<Model>:<id>.<ext>`. We skip our
        # temporary files explicitly rather than rely on their names not matching.
        suffix = f'.{self._serializer.file_extension}'
        keys = []
        for f in self._db_path.iterdir():
            if f.name.startswith(TMP_PREFIX) or not f.name.endswith(suffix):
                continue
            name = f.name[:-len(suffix)]
            if name.split(':')[0] == self.model_name:
                keys.append(name)
        return keys

    def exists(self, key: str) -> bool:
        """Whether the model with this key has a file (used by `repair`)."""
        return (self._db_path / f'{key}.{self._serializer.file_extension}').exists()


class AtomicFileIndexDbDriver(FileIndexDbDriver):
    """
    Stores one index (a dictionary from names to model keys) as one YAML file.

    labml-db keeps the whole dictionary in memory and writes all of it after every change; we keep
    that design and only make the write atomic. Because the cache is per process, only one server
    may use a data folder at a time — the launcher holds a lock for that.
    """

    def _save_cache(self):
        atomic_write(self._index_path, self._serializer.to_string(self._cache).encode('utf-8'))

    def items(self) -> Dict[str, str]:
        """The whole index (used by `repair`)."""
        self._load_cache()
        return dict(self._cache)


def make_drivers(data: Path, models: list, indexes: list):
    """
    Create one driver per model class and per index class of the app, all under `data`:
    `data/models/` holds one file per model object, `data/indexes/` one YAML file per index.
    """
    models_path = data / 'models'
    indexes_path = data / 'indexes'
    models_path.mkdir(parents=True, exist_ok=True)
    indexes_path.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(models_path)
    remove_stale_temporaries(indexes_path)

    # One serializer object can be shared: they hold no state.
    pickle, yaml = PickleSerializer(), YamlSerializer()
    model_drivers = [AtomicFileDbDriver(pickle, m, models_path) for m in models]
    index_drivers = [AtomicFileIndexDbDriver(yaml, i, indexes_path / f'{i.__name__}.yaml')
                     for i in indexes]
    return model_drivers, index_drivers


def repair(model_drivers: List[AtomicFileDbDriver],
           index_drivers: List[AtomicFileIndexDbDriver]) -> List[str]:
    """
    Drop references to models that have no file, left by a crash between two related writes.

    Two kinds of reference exist in the app's data:

    * index entries (`RunIndex: run uuid → Run:<id>`), which we can check and delete directly, and
    * keys held inside other models — a `Project` keeps `runs: {uuid: Run key}` and a `Folder`
      keeps `run_uuids`. A project that names a missing run makes the app fail whenever that
      run reports, so we check those too.

    And one reference that may be missing: a run index entry for a run that its project lists.

    Returns a description of each repair made, for the launcher to print.
    """
    fixes = []
    model_by_name = {d.model_name: d for d in model_drivers}

    def exists(key) -> bool:
        key = str(key)
        driver = model_by_name.get(key.split(':')[0])
        return driver is None or driver.exists(key)

    # Index entries that point at nothing.
    for index in index_drivers:
        for name, key in index.items().items():
            if key is not None and not exists(key):
                index.delete(name)
                fixes.append(f'{index.index_name}: dropped {name} (no {key})')

    # Projects that list runs with no file, and the folders that list those runs.
    projects = model_by_name.get('Project')
    if projects is None:
        return fixes
    run_index = {i.index_name: i for i in index_drivers}.get('RunIndex')
    for project_key in projects.get_all():
        project = projects.load_dict(project_key)
        if not project:
            continue
        runs: Dict = project.get('runs', {})
        # The app creates a run by saving the run, then the project, then the run index entry.
        # A crash before the last step leaves a run that the project knows (so the app keeps
        # accepting its data) but that the run index does not (so its page says "not found").
        # The index entry can be rebuilt from the project.
        if run_index is not None:
            for uuid, key in runs.items():
                if exists(key) and run_index.get(uuid) is None:
                    run_index.set(uuid, str(key))
                    fixes.append(f'RunIndex: restored {uuid} from {project_key}')
        missing = [uuid for uuid, key in runs.items() if not exists(key)]
        if not missing:
            continue
        for uuid in missing:
            del runs[uuid]
        projects.save_dict(project_key, project)
        fixes.append(f'{project_key}: dropped runs {missing} (no run file)')
        for folder_key in project.get('folders', {}).values():
            folders = model_by_name.get(str(folder_key).split(':')[0])
            folder: Optional[Dict] = folders.load_dict(str(folder_key)) if folders else None
            if folder and any(u in folder.get('run_uuids', []) for u in missing):
                # Keep the container's type (the app stores a `set`).
                kept = type(folder['run_uuids'])(u for u in folder['run_uuids'] if u not in missing)
                folder['run_uuids'] = kept
                folders.save_dict(str(folder_key), folder)

    return fixes


# ## Setting up the database
def setup_file_store(data: Path):
    """
    Our replacement for `labml_app.db.init_mongo_db`: labml-db file drivers for every model and
    index class of the app, a repair pass over what a crash may have left, and the app's two
    built-in projects.
    """
    from labml_db import Index, Model
    from labml_app import db, settings
    
    model_drivers, index_drivers = make_drivers(data, db.models, db.indexes)
    Model.set_db_drivers(model_drivers)
    Index.set_db_drivers(index_drivers)
    for fix in repair(model_drivers, index_drivers):
        print(f'labml_nn.app: repaired after a crash: {fix}', flush=True)
    _ensure_projects(settings)


def setup_mongo(uri: str):
    """The same for a real MongoDB: the app's own Mongo drivers, with a short connect timeout."""
    from labml_db import Index, Model
    from labml_db.index_driver.mongo import MongoIndexDbDriver
    from pymongo import MongoClient
    from pymongo.errors import PyMongoError
    from labml_app import db, settings

    try:
        client = MongoClient(uri, serverSelectionTimeoutMS=5000)
        client.admin.command('ping')
        database = client.get_default_database('labml')
    except (PyMongoError, ValueError) as e:
        raise UserError(f'cannot use MongoDB at {uri}: {str(e).split(" (configured")[0][:200]}')
    Model.set_db_drivers([db.MongoPickleDbDriver(m, database) for m in db.models])
    Index.set_db_drivers([MongoIndexDbDriver(i, database) for i in db.indexes])
    _ensure_projects(settings)


def _ensure_projects(settings):
    """
    Create the float project (runs sent without a token land there) and the samples project, if
    missing. Unlike a bare "index has it?" check, we also recreate a project whose index entry
    exists but whose file does not.
    """
    from labml_app.db import project

    for token, name in ((settings.FLOAT_PROJECT_TOKEN, 'float project'),
                        (settings.SAMPLES_PROJECT_TOKEN, 'samples project')):
        if project.get_project(token) is None:
            p = project.Project(labml_token=token, name=name, is_sharable=True)
            # Model first, then the index entry: a crash in between leaves an unreferenced file,
            # which is harmless, rather than an index entry pointing at nothing.
            p.save()
            project.ProjectIndex.set(token, p.key)
