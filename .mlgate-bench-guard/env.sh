# written by scripts/live/servers.sh start; source it
export MLGATE_TEST_STATE_DIR=/work/main/.mlgate-bench-guard
export MLGATE_TEST_MLFLOW3_URI=http://127.0.0.1:44511
export MLGATE_TEST_MLFLOW3_IDS=/work/main/.mlgate-bench-guard/mlflow3.ids.json
export MLGATE_TEST_MLFLOW3_PYTHON=/root/.cache/mlgate/venv3/bin/python
