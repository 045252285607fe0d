from glacier import Dataset, Pipeline, task
from glacier.storage import S3, LocalPath

raw = Dataset("raw", storage=S3(bucket="lake", prefix="shop/"))
clean = Dataset("clean", storage=S3(bucket="lake", prefix="shop/clean"))
same = Dataset("same", storage=S3("lake", "/shop/"))
apart = Dataset("apart", storage=S3("lake", "shop_archive/"))
local = Dataset("local", storage=LocalPath("out/a"))
local_too = Dataset("local_too", storage=LocalPath("out/a/"))


@task
def tidy(data: raw, again: same) -> clean: ...


@task
def archive(data: clean) -> apart: ...


@task
def export(data: apart) -> local: ...


@task
def mirror(data: local) -> local_too: ...


shop = Pipeline([tidy, archive, export, mirror])  # error: GLC013
