"""Install the annotated Masked Language Model tutorial.

`pip install -e .` installs the package and its run-time needs; the `test` extra adds what the
test suite uses, `site` what builds the annotated site, `export` what exports a model (model card,
ONNX) and `bench` the benchmark-only baselines.
"""
from setuptools import find_packages, setup

setup(
    name='labml-nn-mlm',
    version='0.1.0',
    description="An annotated BERT Masked Language Model you can read, run and watch",
    long_description=open('README.md', encoding='utf-8').read(),
    long_description_content_type='text/markdown',
    python_requires='>=3.10',
    packages=find_packages(include=['labml_nn', 'labml_nn.*', 'site_src', 'site_src.*']),
    # The pages' Markdown and the app's npm manifest, and the bundled model: its weights, config,
    # tokenizer files and card (data only: the exporter writes the model's source when it exports)
    package_data={'labml_nn': ['**/*.md', '**/*.json', 'transformers/mlm_tools/pretrained/*/*'],
                  'site_src': ['katex_batch.js', 'package.json', 'package-lock.json'],
                  'site_src.theme': ['*.html', '*.xml', 'mkdocs_theme.yml', 'assets/*']},
    # …but not what `npm ci` installs beside them
    exclude_package_data={'labml_nn': ['app/node_modules/**']},
    install_requires=[
        # 2.13.0 is the CPU wheel this project is developed on; any later 2.x works.
        'torch>=2.13',
        'labml==0.5.3',
        'numpy',
        'PyYAML',
        # Reading export folders, the bundled model's among them
        'safetensors==0.8.0',
    ],
    extras_require={
        # The test suite: pytest, and Playwright to drive Debian's chromium (never its own browser);
        # everything the exporter uses, and the readers it is tested against (transformers, onnxruntime)
        'test': ['pytest>=8', 'import-linter==2.17', 'playwright==1.65.2', 'huggingface_hub==2.4.0', 'onnx==1.23.2', 'onnxscript==0.7.2',
                 'transformers==5.23.0', 'onnxruntime==1.32.0',
                 # The notebooks: the site's (nbformat) and the chapter's, run in a fresh kernel
                 'nbformat==5.10.4', 'nbclient==0.10.2', 'ipykernel==6.29.5', 'matplotlib==3.10.0'],
        # Exporting a model (`python -m labml_nn.transformers.mlm_tools.export`): the model card, and ONNX
        'export': ['huggingface_hub==2.4.0', 'onnx==1.23.2', 'onnxscript==0.7.2'],
        # Building the annotated site (KaTeX itself comes from npm, see site_src/package.json); pdoc
        # imports every module, the Hugging Face wrappers (transformers) among them; the fill page's
        # demo (site_demo/) exports the bundled model to ONNX (onnx, onnxscript; ONNX Runtime Web
        # comes from npm, see site_demo/package.json)
        'site': ['mkdocs==1.6.1', 'markdown-it-py==4.3.0', 'mdit-py-plugins==0.7.0', 'Pygments==2.20.0',
                 'pdoc==16.0.0', 'transformers==5.23.0', 'onnx==1.23.2', 'onnxscript==0.7.2', 'nbformat==5.10.4'],
        # The chapter notebook (labml_nn/transformers/mlm/notebook.ipynb): JupyterLab to open it,
        # nbconvert to run it without a browser, the kernel that runs its cells, and its plots
        'notebook': ['jupyterlab==4.6.6', 'nbconvert==7.17.2', 'ipykernel==6.29.5', 'matplotlib==3.10.0'],
        # The labml app server (`python -m labml_nn.app`) with its file store
        'app': ['labml-app==0.5.14', 'labml-db==0.0.15', 'fastapi==0.165.0', 'starlette==1.10.0',
                'uvicorn==0.54.0', 'pymongo==4.20.1'],
        # Benchmark-only baselines
        'bench': ['pycco==0.6.0', 'transformers==5.23.0'],
    },
    entry_points={
        'console_scripts': [
            'labml-nn-mlm=labml_nn.transformers.mlm.experiment:main',
            'labml-nn-fill=labml_nn.transformers.mlm_tools.fill:main',
            'labml-nn-export=labml_nn.transformers.mlm_tools.export:main',
            'labml-nn-app=labml_nn.app.server:main',
        ],
        # The site generator, under the name its page documents (`site_src/pyproject.toml`
        # installs the same plugin and theme on their own)
        'mkdocs.plugins': [
            'annotated = site_src.plugin:AnnotatedSourcePlugin',
        ],
        'mkdocs.themes': [
            'annotated = site_src.theme',
        ],
    },
)
