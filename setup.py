import re
from pathlib import Path

from setuptools import find_packages, setup

HERE = Path(__file__).parent
# The version has one home, webkit/__init__.py; read, not imported (importing
# the package would need its dependencies before they are installed).
VERSION = re.search(r"^__version__ = '([^']+)'$",
                    (HERE / 'webkit' / '__init__.py').read_text(encoding='utf-8'), re.M)[1]

setup(
    name='webkit-wsgi',
    version=VERSION,
    description='WebOb, Routes, FormEncode and Tempita, with almost no framework',
    long_description=(HERE / 'README.md').read_text(encoding='utf-8'),
    long_description_content_type='text/markdown',
    license='MIT',
    license_files=['LICENSE'],
    packages=find_packages(include=['webkit', 'webkit.*']),
    package_data={'webkit': ['py.typed']},
    python_requires='>=3.11',
    install_requires=[
        'webob>=1.8.11',
        'routes>=2.5.1',
        'formencode>=2.1',
        'tempita>=0.6',
        'waitress>=3.0.2,<4',  # webkit.server extends its channel and parser
        'hupper>=1.12',
        'legacy-cgi>=2.6; python_version>="3.13"',
    ],
    extras_require={
        'test': [
            'pytest>=8',
            'pytest-cov>=7',
            'coverage>=7.10',
            'webtest>=3.0.1',
            'sphinx>=7',
            'playwright>=1.45',
            'gunicorn>=23; platform_system!="Windows"',
            'pastedeploy>=3.1',
            'hypothesis>=6.100',
            'paste>=3.10',  # TransLogger: foreign middleware in the integration tests
            'markdown-it-py>=3',  # the example wiki's markup
            'psycopg[binary]>=3.1',  # the example questioner on PostgreSQL
            'mypy>=1.10',  # tests/test_typing.py: mypy --strict webkit
            'setuptools>=70.1',  # tests/test_packaging.py builds the sdist and the wheel
        ],
        'bench': [
            'falcon>=4',
            'bottle>=0.13',
            'pyramid>=2',
            'flask>=3',
            'gunicorn>=23; platform_system!="Windows"',
        ],
    },
    entry_points={
        'console_scripts': ['webkit = webkit.__main__:main'],
        # `[server:main]` `use = egg:webkit-wsgi#main` in a Paste Deploy file.
        # The examples are not in the wheel (they are copied, not installed:
        # a top-level `examples` package would clash with anyone's), so their
        # deploy.ini files say `use = call:examples.wiki.app:make_app`.
        'paste.server_runner': ['main = webkit.server:server_runner'],
    },
    classifiers=[
        'Development Status :: 4 - Beta',
        'Intended Audience :: Developers',
        'License :: OSI Approved :: MIT License',
        'Operating System :: POSIX',
        'Programming Language :: Python :: 3',
        'Programming Language :: Python :: 3 :: Only',
        'Programming Language :: Python :: 3.11',
        'Programming Language :: Python :: 3.12',
        'Programming Language :: Python :: 3.13',
        'Topic :: Internet :: WWW/HTTP :: WSGI',
        'Topic :: Internet :: WWW/HTTP :: WSGI :: Application',
        'Topic :: Internet :: WWW/HTTP :: WSGI :: Server',
    ],
)
