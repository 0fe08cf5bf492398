//! `_core.TaskDocuments`: the serialized document of one task, built from the operator's attributes in one call.
//!
//! `riir_airflow.serialization.serialized_dag.serialize_task` fills the same forty-odd keys for every task of every
//! DAG a DagBag loads; done as Python code, each key cost a bytecode round of attribute read, helper call and
//! store. Here the attributes are read with the same `getattr`s, and each value leaves already as
//! `_core.plain_json` would give it back (see `json.rs`), so the DAG document's final `plain_json` pass need not
//! walk the tasks again. What is rare or needs Python-side knowledge (custom priority weight strategies, non-empty
//! inlets and outlets, the ISO text cache shared by a DAG's tasks) goes through the callables the builder holds.

use pyo3::exceptions::PyAttributeError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString};

use crate::json::Plain;

/// Builds task documents; holds what stays the same across calls (the key template and the Python fallbacks).
#[pyclass(frozen, module = "riir_airflow._core")]
struct TaskDocuments {
    /// The document's keys in their order, every value None: a copy is filled (no rehashing while it grows).
    template: Py<PyDict>,
    /// `WeightRule`: a member's `value` is the document's `weight_rule`; anything else goes to `weight_rule`.
    weight_rule_type: Py<PyAny>,
    /// `weight_rule(value)`: the document's `weight_rule` for a value that is not a `WeightRule` member.
    weight_rule: Py<PyAny>,
    /// `asset_list(items)`: the document's `inlets`/`outlets` for a non-empty value.
    asset_list: Py<PyAny>,
    /// `plain_json`'s `default` for values JSON has no form of (raises for the unserializable).
    default: Py<PyAny>,
}

/// `bool(value)` as a Python bool.
fn truth<'py>(value: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    Ok(pyo3::types::PyBool::new(value.py(), value.is_truthy()?).to_owned().into_any())
}

/// `getattr(obj, name, None)`: only an AttributeError means absent, as with the builtin.
fn attribute_or_none<'py>(obj: &Bound<'py, PyAny>, name: &Bound<'py, PyString>) -> PyResult<Bound<'py, PyAny>> {
    match obj.getattr(name) {
        Ok(value) => Ok(value),
        Err(err) if err.is_instance_of::<PyAttributeError>(obj.py()) => Ok(obj.py().None().into_bound(obj.py())),
        Err(err) => Err(err),
    }
}

/// `list(items)`, each item as `plain` gives it back: the plain form of the list, made once.
fn plain_list<'py>(plain: &mut Plain<'_, 'py>, items: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyList>> {
    let converted = items.try_iter()?.map(|item| plain.value(&item?)).collect::<PyResult<Vec<_>>>()?;
    PyList::new(items.py(), converted)
}

/// `value.total_seconds()`, None for None.
fn seconds<'py>(value: Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    if value.is_none() {
        return Ok(value);
    }
    value.call_method0(intern!(value.py(), "total_seconds"))
}

#[pymethods]
impl TaskDocuments {
    #[new]
    fn new(
        keys: &Bound<'_, PyAny>,
        weight_rule_type: Py<PyAny>,
        weight_rule: Py<PyAny>,
        asset_list: Py<PyAny>,
        default: Py<PyAny>,
    ) -> PyResult<Self> {
        let py = keys.py();
        let template = PyDict::new(py);
        for key in keys.try_iter()? {
            template.set_item(key?, py.None())?;
        }
        Ok(Self { template: template.unbind(), weight_rule_type, weight_rule, asset_list, default })
    }

    /// The document of `task`, every value plain JSON. `class_parts` holds what comes from the operator's class
    /// (`operator_class`, `template_fields_renderers`, `ui_color`, `ui_fgcolor`, `is_sensor`); `iso(datetime)` is
    /// the ISO text of a (non-None) datetime.
    fn build<'py>(
        &self,
        task: &Bound<'py, PyAny>,
        class_parts: &Bound<'py, PyDict>,
        iso: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let py = task.py();
        let document = self.template.bind(py).copy()?;
        let mut plain = Plain::new(py, Some(self.default.bind(py)))?;
        // Every value passes through `plain` on its way in (exact str, int, float, bool and None as they are), but
        // the lists made here of plain items, which `put_plain` stores as they are.
        let put_plain = |key: &Bound<'py, PyString>, value: Bound<'py, PyAny>| document.set_item(key, value);
        let put = |plain: &mut Plain<'_, 'py>, key: &Bound<'py, PyString>, value: Bound<'py, PyAny>| {
            put_plain(key, plain.value(&value)?)
        };
        let attr = |name: &Bound<'py, PyString>| task.getattr(name);
        let part = |name: &Bound<'py, PyString>| -> PyResult<Bound<'py, PyAny>> {
            class_parts.get_item(name)?.ok_or_else(|| PyAttributeError::new_err(name.to_string()))
        };

        put(&mut plain, intern!(py, "task_id"), attr(intern!(py, "task_id"))?)?;
        put(&mut plain, intern!(py, "label"), attr(intern!(py, "label"))?)?;
        // Shown by the UI instead of the id when set (Airflow 3's task_display_name).
        put(&mut plain, intern!(py, "task_display_name"), attribute_or_none(task, intern!(py, "_task_display_name"))?)?;
        put(&mut plain, intern!(py, "task_type"), attr(intern!(py, "task_type"))?)?;
        put(&mut plain, intern!(py, "operator_name"), attr(intern!(py, "operator_name"))?)?;
        put(&mut plain, intern!(py, "operator_class"), part(intern!(py, "operator_class"))?)?;
        let group = attr(intern!(py, "task_group"))?;
        let group_id = if group.is_none() { group } else { group.getattr(intern!(py, "group_id"))? };
        put(
            &mut plain,
            intern!(py, "task_group"),
            if group_id.is_truthy()? { group_id } else { py.None().into_bound(py) },
        )?;
        for name in [intern!(py, "upstream_task_ids"), intern!(py, "downstream_task_ids")] {
            let ids = plain_list(&mut plain, &attr(name)?)?;
            ids.sort()?;
            put_plain(name, ids.into_any())?;
        }
        let rule = attr(intern!(py, "trigger_rule"))?;
        // A TriggerRule member's value; anything else (a plain string) as it is.
        let rule = match rule.getattr(intern!(py, "value")) {
            Ok(value) if !rule.is_none() => value,
            Err(err) if !err.is_instance_of::<PyAttributeError>(py) => return Err(err),
            _ => rule,
        };
        put(&mut plain, intern!(py, "trigger_rule"), rule)?;
        put(&mut plain, intern!(py, "retries"), attr(intern!(py, "retries"))?)?;
        put(&mut plain, intern!(py, "retry_delay"), seconds(attr(intern!(py, "retry_delay"))?)?)?;
        put(&mut plain, intern!(py, "retry_exponential_backoff"), attr(intern!(py, "retry_exponential_backoff"))?)?;
        put(&mut plain, intern!(py, "max_retry_delay"), seconds(attr(intern!(py, "max_retry_delay"))?)?)?;
        put(&mut plain, intern!(py, "execution_timeout"), seconds(attr(intern!(py, "execution_timeout"))?)?)?;
        put(&mut plain, intern!(py, "pool"), attr(intern!(py, "pool"))?)?;
        put(&mut plain, intern!(py, "pool_slots"), attr(intern!(py, "pool_slots"))?)?;
        put(&mut plain, intern!(py, "queue"), attr(intern!(py, "queue"))?)?;
        put(&mut plain, intern!(py, "priority_weight"), attr(intern!(py, "priority_weight"))?)?;
        let weight_rule = attr(intern!(py, "weight_rule"))?;
        let weight_rule = if weight_rule.get_type().is(self.weight_rule_type.bind(py)) {
            weight_rule.getattr(intern!(py, "value"))?
        } else {
            self.weight_rule.bind(py).call1((weight_rule,))?
        };
        put(&mut plain, intern!(py, "weight_rule"), weight_rule)?;
        put(&mut plain, intern!(py, "owner"), attr(intern!(py, "owner"))?)?;
        for name in [
            intern!(py, "depends_on_past"),
            intern!(py, "wait_for_downstream"),
            intern!(py, "is_mapped"),
            intern!(py, "is_setup"),
            intern!(py, "is_teardown"),
        ] {
            put_plain(name, truth(&attr(name)?)?)?;
        }
        let template_fields = plain_list(&mut plain, &attr(intern!(py, "template_fields"))?)?;
        put_plain(intern!(py, "template_fields"), template_fields.into_any())?;
        let template_ext = attribute_or_none(task, intern!(py, "template_ext"))?;
        let template_ext =
            if template_ext.is_truthy()? { plain_list(&mut plain, &template_ext)? } else { PyList::empty(py) };
        put_plain(intern!(py, "template_ext"), template_ext.into_any())?;
        for name in [intern!(py, "template_fields_renderers"), intern!(py, "ui_color"), intern!(py, "ui_fgcolor")] {
            put(&mut plain, name, part(name)?)?;
        }
        let doc_md = attribute_or_none(task, intern!(py, "doc_md"))?;
        put(
            &mut plain,
            intern!(py, "doc_md"),
            if doc_md.is_instance_of::<PyString>() { doc_md } else { py.None().into_bound(py) },
        )?;
        for name in [intern!(py, "inlets"), intern!(py, "outlets")] {
            let items = attr(name)?;
            // (the common case, no assets, without the Python call)
            let assets = if items.is_truthy()? {
                self.asset_list.bind(py).call1((items,))?
            } else {
                PyList::empty(py).into_any()
            };
            put(&mut plain, name, assets)?;
        }
        for name in [
            intern!(py, "max_active_tis_per_dag"),
            intern!(py, "max_active_tis_per_dagrun"),
            intern!(py, "map_index_template"),
        ] {
            put(&mut plain, name, attr(name)?)?;
        }
        for name in [intern!(py, "start_date"), intern!(py, "end_date")] {
            let date = attr(name)?;
            put(&mut plain, name, if date.is_none() { date } else { iso.call1((date,))? })?;
        }
        put(&mut plain, intern!(py, "is_sensor"), part(intern!(py, "is_sensor"))?)?;
        let empty = intern!(py, "inherits_from_empty_operator");
        put_plain(empty, truth(&task.getattr(empty)?)?)?;
        Ok(document)
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<TaskDocuments>()
}
