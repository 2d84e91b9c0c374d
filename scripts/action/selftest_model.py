"""Registers `selftest-model` version 1 on the MLflow server at MLFLOW_TRACKING_URI: a tiny
pyfunc with what the bundled baseline policy looks for (description, signature, input
example, params, metrics). Used by .github/workflows/action-selftest.yml to run the action
against a real server."""

import mlflow
import pandas as pd
from mlflow.models import infer_signature

NAME = "selftest-model"


class Echo(mlflow.pyfunc.PythonModel):
    def predict(self, context, model_input, params=None):
        return model_input


def main() -> None:
    mlflow.set_experiment("mlgate-selftest")
    example = pd.DataFrame({"x": [1.0, 2.0]})
    with mlflow.start_run():
        mlflow.log_params({"alpha": 0.5})
        mlflow.log_metrics({"accuracy": 0.9})
        mlflow.pyfunc.log_model(
            name="model",
            python_model=Echo(),
            signature=infer_signature(example, example),
            input_example=example,
            registered_model_name=NAME,
            # Named, so MLflow does not infer requirements by re-importing the model.
            pip_requirements=["mlflow"],
        )
    client = mlflow.MlflowClient()
    client.update_registered_model(NAME, description="mlgate GitHub Action self-test")
    client.update_model_version(NAME, "1", description="The first version")
    print(f"registered models:/{NAME}/1")


if __name__ == "__main__":
    main()
