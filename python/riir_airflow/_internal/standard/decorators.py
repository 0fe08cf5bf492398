"""The standard provider's decorator functions (`airflow.providers.standard.decorators.*`): `@task.<variant>`."""

from __future__ import annotations

from riir_airflow._internal.decorators import TaskDecoratorCollection

python_task = TaskDecoratorCollection.python
bash_task = TaskDecoratorCollection.bash
branch_task = TaskDecoratorCollection.branch
short_circuit_task = TaskDecoratorCollection.short_circuit
sensor_task = TaskDecoratorCollection.sensor
