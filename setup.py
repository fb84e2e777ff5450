from setuptools import find_packages, setup

setup(
    name='webkit-wsgi',
    version='0.1.0',
    description='WebOb, Routes, FormEncode and Tempita, with almost no framework',
    long_description=open('README.md', encoding='utf-8').read(),
    long_description_content_type='text/markdown',
    license='MIT',
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
        # The examples are run from a checkout (they are not installed as
        # packages): these let Paste Deploy files say `use = egg:webkit-wsgi#wiki`.
        'paste.app_factory': [
            'hello = examples.hello.app:make_app',
            'questioner = examples.questioner.app:make_app',
            'wiki = examples.wiki.app:make_app',
        ],
    },
    classifiers=[
        'Programming Language :: Python :: 3',
        'Topic :: Internet :: WWW/HTTP :: WSGI',
    ],
)
