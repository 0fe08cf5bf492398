"""user_defined_macros and user_defined_filters, Airflow's own filters, and macros.* helpers."""

import datetime

from airflow.providers.standard.operators.bash import BashOperator
from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import dag


def double(x):
    return x * 2


def shout(s):
    return str(s).upper() + "!"


@dag(
    schedule=None,
    start_date=datetime.datetime(2024, 1, 1),
    catchup=False,
    user_defined_macros={"project": "riir", "double": double, "limits": {"max": 7}},
    user_defined_filters={"shout": shout},
)
def templates_macros_filters():
    PythonOperator(
        task_id="render",
        python_callable=lambda **kw: kw["templates_dict"],
        templates_dict={
            "macro": "{{ project }}-{{ double(21) }}-{{ limits.max }}",
            "filter": "{{ project | shout }}",
            "builtin_filters": "{{ logical_date | ds }} {{ logical_date | ds_nodash }} {{ logical_date | ts }}",
            "more_filters": "{{ logical_date | ts_nodash }} {{ logical_date | ts_nodash_with_tz }}",
            "ds_add": "{{ macros.ds_add(ds, 5) }} {{ macros.ds_add(ds, -5) }}",
            "ds_format": "{{ macros.ds_format(ds, '%Y-%m-%d', '%d/%m/%Y') }}",
            "datetime": "{{ macros.datetime(2024, 1, 2).isoformat() }}",
            "timedelta": "{{ (logical_date + macros.timedelta(hours=36)).isoformat() }}",
            "dateutil": "{{ (logical_date + macros.dateutil.relativedelta.relativedelta(months=1)).date() }}",
            "json": "{{ macros.json.dumps({'a': [1, 2]}) }}",
            "uuid_type": "{{ macros.uuid.UUID('12345678123456781234567812345678') }}",
            "random_is_fn": "{{ macros.random is callable }}",
        },
    )
    BashOperator(task_id="bash", bash_command="echo {{ project | shout }} {{ double('ab') }}")


templates_macros_filters()
