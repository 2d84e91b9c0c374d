# written by scripts/live/servers.sh start; source it
export MLGATE_TEST_STATE_DIR=/work/main/.mlgate-bench-ledger
export MLGATE_TEST_MLFLOW3_URI=http://127.0.0.1:45037
export MLGATE_TEST_MLFLOW3_IDS=/work/main/.mlgate-bench-ledger/mlflow3.ids.json
export MLGATE_TEST_MLFLOW2_URI=http://127.0.0.1:44799
export MLGATE_TEST_MLFLOW2_IDS=/work/main/.mlgate-bench-ledger/mlflow2.ids.json
export MLGATE_TEST_MLFLOW3_PYTHON=/root/.cache/mlgate/venv3/bin/python
export MLGATE_TEST_MLFLOW2_PYTHON=/root/.cache/mlgate/venv2/bin/python
