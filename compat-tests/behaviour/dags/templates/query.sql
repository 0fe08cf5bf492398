SELECT * FROM {{ params.table }} WHERE day = '{{ ds }}' -- {{ macros.ds_add(ds, -1) }}
