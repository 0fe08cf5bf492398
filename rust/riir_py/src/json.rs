//! `_core.plain_json`: a value as a JSON round trip gives it back, without the text in between.
//!
//! `plain_json(value, default)` returns what `json.loads(json.dumps(value, default=default))` returns, in one pass:
//! the serialized DAG document is normalized this way (tuples become lists, str and int subclasses such as enum
//! members their plain values, dict keys strings, anything else what `default` makes of it), and the round trip
//! through text was a third of its cost. Each rule below is the one of CPython's C encoder (`_json.c`, 3.11+)
//! followed by the decoder; exact `str`, `int`, `float`, `bool` and `None` come back as the same (immutable) objects,
//! containers always as new ones.

use pyo3::exceptions::{PyRecursionError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};

/// One conversion: the `default` hook and the containers being converted (for the encoder's cycle check).
pub(crate) struct Plain<'a, 'py> {
    py: Python<'py>,
    default: Option<&'a Bound<'py, PyAny>>,
    /// Addresses of the lists, dicts and `default` arguments being converted: meeting one again is a cycle.
    open: Vec<usize>,
    /// The interpreter's recursion limit, which the encoder's nesting counts against.
    max_depth: usize,
    /// How many times Python code of the value's objects may have run (`default`, a subclass's `items()`,
    /// `__iter__` or `__str__`...): code that could change a container while it is being converted.
    foreign_calls: usize,
}

impl<'a, 'py> Plain<'a, 'py> {
    /// A conversion with `default` for what JSON has no form of (a TypeError without it).
    pub(crate) fn new(py: Python<'py>, default: Option<&'a Bound<'py, PyAny>>) -> PyResult<Self> {
        // (the function is looked up once: importing `sys` at each call was most of a small value's conversion)
        static RECURSION_LIMIT: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
        let max_depth: usize = RECURSION_LIMIT.import(py, "sys", "getrecursionlimit")?.call0()?.extract()?;
        Ok(Plain { py, default, open: Vec::new(), max_depth, foreign_calls: 0 })
    }

    /// Marks `obj` as being converted; the encoder's "Circular reference detected" when it already is.
    fn enter(&mut self, obj: &Bound<'py, PyAny>) -> PyResult<()> {
        let address = obj.as_ptr() as usize;
        if self.open.contains(&address) {
            return Err(PyValueError::new_err("Circular reference detected"));
        }
        if self.open.len() >= self.max_depth {
            return Err(PyRecursionError::new_err("maximum recursion depth exceeded while encoding a JSON object"));
        }
        self.open.push(address);
        Ok(())
    }

    fn leave(&mut self) {
        self.open.pop();
    }

    /// `type.method(obj)`, e.g. `str.__str__(obj)`: the builtin's own conversion, whatever a subclass overrides.
    fn builtin(&mut self, type_name: &str, method: &str, obj: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.foreign_calls += 1;
        let builtins = self.py.import("builtins")?;
        builtins.getattr(type_name)?.getattr(method)?.call1((obj,))
    }

    /// A float as the encoder writes it (with `allow_nan`): `NaN`, `Infinity`, `-Infinity` or `float.__repr__`.
    fn float_text(&mut self, obj: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let number: f64 = obj.extract()?;
        if number.is_nan() {
            Ok(PyString::new(self.py, "NaN").into_any())
        } else if number.is_infinite() {
            Ok(PyString::new(self.py, if number > 0.0 { "Infinity" } else { "-Infinity" }).into_any())
        } else {
            self.builtin("float", "__repr__", obj)
        }
    }

    /// A dict key as the decoder gives it back: a string (str, float, True/False/None, int keys; others refused).
    fn key(&mut self, key: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        if key.is_exact_instance_of::<PyString>() {
            Ok(key.clone())
        } else if key.is_instance_of::<PyString>() {
            self.builtin("str", "__str__", key)
        } else if key.is_instance_of::<PyFloat>() {
            self.float_text(key)
        } else if key.is_instance_of::<PyBool>() {
            let flag: bool = key.extract()?;
            Ok(PyString::new(self.py, if flag { "true" } else { "false" }).into_any())
        } else if key.is_none() {
            Ok(PyString::new(self.py, "null").into_any())
        } else if key.is_instance_of::<PyInt>() {
            self.builtin("int", "__repr__", key)
        } else {
            let type_name = key.get_type().name()?;
            Err(PyTypeError::new_err(format!("keys must be str, int, float, bool or None, not {type_name}")))
        }
    }

    /// `value` as `json.loads(json.dumps(value, default=...))` returns it.
    pub(crate) fn value(&mut self, obj: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        if obj.is_none()
            || obj.is_exact_instance_of::<PyString>()
            || obj.is_exact_instance_of::<PyBool>()
            || obj.is_exact_instance_of::<PyInt>()
            || obj.is_exact_instance_of::<PyFloat>()
        {
            return Ok(obj.clone());
        }
        if obj.is_instance_of::<PyString>() {
            return self.builtin("str", "__str__", obj);
        }
        if obj.is_instance_of::<PyInt>() {
            return self.builtin("int", "__int__", obj);
        }
        if obj.is_instance_of::<PyFloat>() {
            return Ok(PyFloat::new(self.py, obj.extract()?).into_any());
        }
        if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
            return self.sequence(obj);
        }
        if let Ok(dict) = obj.cast::<PyDict>() {
            return self.dict(obj, dict);
        }
        self.enter(obj)?;
        self.foreign_calls += 1;
        let converted = match self.default {
            Some(default) => default.call1((obj,)),
            None => {
                Err(PyTypeError::new_err(format!("Object of type {} is not JSON serializable", obj.get_type().name()?)))
            }
        }
        .and_then(|replacement| self.value(&replacement));
        self.leave();
        converted
    }

    /// A list or tuple (or a subclass, read through its iterator as the encoder does) as a new list.
    fn sequence(&mut self, obj: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        // The items are taken first, as the encoder's snapshot: `default` may change the container.
        let items: Vec<Bound<'py, PyAny>> = if let Ok(list) = obj.cast_exact::<PyList>() {
            list.iter().collect()
        } else if let Ok(tuple) = obj.cast_exact::<PyTuple>() {
            tuple.iter().collect()
        } else {
            self.foreign_calls += 1;
            obj.try_iter()?.collect::<PyResult<_>>()?
        };
        if items.is_empty() {
            return Ok(PyList::empty(self.py).into_any());
        }
        self.enter(obj)?;
        let converted: PyResult<Vec<Bound<'py, PyAny>>> = items.iter().map(|item| self.value(item)).collect();
        self.leave();
        Ok(PyList::new(self.py, converted?)?.into_any())
    }

    /// A dict (or a subclass, read through `items()` as the encoder does) as a new dict with string keys; a key
    /// that two original keys turn into keeps its first place and the last value, as the decoder does.
    fn dict(&mut self, obj: &Bound<'py, PyAny>, dict: &Bound<'py, PyDict>) -> PyResult<Bound<'py, PyAny>> {
        if dict.len() == 0 {
            return Ok(PyDict::new(self.py).into_any());
        }
        let exact = obj.is_exact_instance_of::<PyDict>();
        let items: Vec<(Bound<'py, PyAny>, Bound<'py, PyAny>)> = if exact {
            dict.iter().collect()
        } else {
            self.foreign_calls += 1;
            obj.call_method0("items")?
                .try_iter()?
                .map(|pair| pair.and_then(|pair| pair.extract()))
                .collect::<PyResult<_>>()?
        };
        let foreign_calls = self.foreign_calls;
        self.enter(obj)?;
        let converted: PyResult<Vec<(Bound<'py, PyAny>, Bound<'py, PyAny>)>> =
            items.iter().map(|(key, value)| Ok((self.key(key)?, self.value(value)?))).collect();
        self.leave();
        let converted = converted?;
        // An exact dict whose keys all stay (plain strings) becomes a copy with the converted values put back in:
        // copying keeps its hash table, where inserting key by key regrew a new one several times (a serialized
        // task has forty-odd keys). Only when no Python code ran meanwhile: the copy must be of the items read.
        if exact
            && self.foreign_calls == foreign_calls
            && converted.iter().zip(&items).all(|((new_key, _), (key, _))| new_key.is(key))
        {
            let out = dict.copy()?;
            for ((key, new_value), (_, value)) in converted.iter().zip(&items) {
                if !new_value.is(value) {
                    out.set_item(key, new_value)?;
                }
            }
            return Ok(out.into_any());
        }
        let out = PyDict::new(self.py);
        for (key, value) in converted {
            out.set_item(key, value)?;
        }
        Ok(out.into_any())
    }
}

/// What `json.loads(json.dumps(value, default=default))` returns, without writing and parsing the text: the same
/// values, the same errors (TypeError for what neither JSON nor `default` handles, ValueError on a cycle).
#[pyfunction]
#[pyo3(signature = (value, default = None))]
fn plain_json<'py>(value: &Bound<'py, PyAny>, default: Option<&Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
    Plain::new(value.py(), default)?.value(value)
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(plain_json, m)?)
}
