from glacier import Dataset, Pipeline, task

生 = Dataset("raw")
out = Dataset("out")


@task
def 処理(data: 生) -> out:
    return data


label = "😀🎉"; p = Pipeline([処理, unknwn], name="ユニコード")
