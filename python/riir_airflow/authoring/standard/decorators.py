"""The standard provider's decorator functions (`airflow.providers.standard.decorators.*`): `@task.<variant>`."""

from __future__ import annotations

from riir_airflow.authoring.decorators import TaskDecoratorCollection

python_task = TaskDecoratorCollection.python
bash_task = TaskDecoratorCollection.bash
branch_task = TaskDecoratorCollection.branch
short_circuit_task = TaskDecoratorCollection.short_circuit
sensor_task = TaskDecoratorCollection.sensor
virtualenv_task = TaskDecoratorCollection.virtualenv
branch_virtualenv_task = TaskDecoratorCollection.branch_virtualenv
external_python_task = TaskDecoratorCollection.external_python
branch_external_python_task = TaskDecoratorCollection.branch_external_python
stub = TaskDecoratorCollection.stub
