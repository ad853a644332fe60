//! The object model: types of values, attribute lookup along the single-inheritance chain,
//! descriptors (methods, properties, static and class methods), classes and exceptions.

use std::rc::Rc;

use super::ast::Const;
use super::dict::{Dict, HashKey};
use super::error::{Exc, ExcKind, PResult, err};
use super::interp::{Frame, Hook, Target, Transform, Vm};
use super::op::Receiver;
use super::value::*;

/// What an attribute lookup found: a value, or a getter to call (a property).
pub enum Attr {
    Value(Value),
    Call(Value, Value),
}

impl Vm {
    pub fn new_str(&mut self, s: impl Into<Rc<str>>) -> Value {
        self.alloc(Obj::Str(s.into()))
    }

    pub fn new_tuple(&mut self, items: Vec<Value>) -> Value {
        if items.is_empty() {
            return self.empty_tuple;
        }
        self.alloc(Obj::Tuple(items.into()))
    }

    pub fn new_list(&mut self, items: Vec<Value>) -> Value {
        self.alloc(Obj::List(items))
    }

    pub fn new_dict(&mut self) -> Value {
        self.alloc(Obj::Dict(Dict::new()))
    }

    pub fn new_set(&mut self, items: Vec<Value>, frozen: bool) -> PResult<Value> {
        let mut d = Dict::new();
        for v in items {
            let k = self.hash_key(v)?;
            d.insert(k, v, Value::None);
        }
        Ok(self.alloc(Obj::Set(d, frozen)))
    }

    pub fn const_value(&mut self, c: &Const) -> Value {
        let v = match c {
            Const::None => Value::None,
            Const::Bool(b) => Value::Bool(*b),
            Const::Int(i) => Value::Int(*i),
            Const::BigInt(s) => {
                let b: num_bigint::BigInt = s.parse().unwrap_or_default();
                self.alloc(Obj::BigInt(Box::new(b)))
            }
            Const::Float(f) => Value::Float(*f),
            Const::Str(s) => self.alloc(Obj::Str(s.clone())),
            Const::Bytes(b) => self.alloc(Obj::Bytes(b.clone())),
            Const::Ellipsis => Value::Ellipsis,
        };
        if matches!(v, Value::Obj(_)) {
            self.pinned.push(v);
        }
        v
    }

    pub fn str_val(&self, v: Value) -> Option<Rc<str>> {
        match v {
            Value::Obj(r) => match self.heap.get(r) {
                Obj::Str(s) => Some(s.clone()),
                _ => None,
            },
            _ => None,
        }
    }

    pub fn list_items(&self, v: Value) -> Vec<Value> {
        match v {
            Value::Obj(r) => match self.heap.get(r) {
                Obj::List(l) => l.clone(),
                Obj::Tuple(t) => t.to_vec(),
                _ => Vec::new(),
            },
            _ => Vec::new(),
        }
    }

    pub fn tuple_items(&self, v: Value) -> Rc<[Value]> {
        match v {
            Value::Obj(r) => match self.heap.get(r) {
                Obj::Tuple(t) => t.clone(),
                Obj::List(l) => l.clone().into(),
                _ => Rc::from(Vec::new()),
            },
            _ => Rc::from(Vec::new()),
        }
    }

    pub fn type_ref(&self, t: BuiltinType) -> Ref {
        self.types[t as usize]
    }

    pub fn type_of(&self, v: Value) -> Ref {
        use BuiltinType as T;
        let t = match v {
            Value::None => T::NoneType,
            Value::Bool(_) => T::Bool,
            Value::Int(_) => T::Int,
            Value::Float(_) => T::Float,
            Value::NotImplemented => T::NotImplementedType,
            Value::Ellipsis => T::Ellipsis,
            Value::Obj(r) => match self.heap.get(r) {
                Obj::Str(_) => T::Str,
                Obj::Bytes(_) => T::Bytes,
                Obj::BigInt(_) => T::Int,
                Obj::List(_) => T::List,
                Obj::Tuple(_) => T::Tuple,
                Obj::Dict(_) => T::Dict,
                Obj::Set(_, false) => T::Set,
                Obj::Set(_, true) => T::FrozenSet,
                Obj::Range(..) => T::Range,
                Obj::Slice(..) => T::Slice,
                Obj::Function(_) => T::Function,
                Obj::Native(_) => T::BuiltinFunction,
                Obj::BoundMethod(..) => T::Method,
                Obj::Class(_) => T::Type,
                Obj::Instance(i) => return i.class,
                Obj::Module(..) => T::Module,
                Obj::Cell(_) => T::Cell,
                Obj::Generator(_) => T::Generator,
                Obj::Iter(_) => T::Iterator,
                Obj::View(_, k) => [T::DictKeys, T::DictValues, T::DictItems][(*k as usize).min(2)],
                Obj::Property(..) => T::Property,
                Obj::StaticMethod(_) => T::StaticMethod,
                Obj::ClassMethod(_) => T::ClassMethod,
                Obj::Super(..) => T::Super,
                Obj::Host(c, _) => return *c,
            },
        };
        self.types[t as usize]
    }

    pub fn class_name(&self, c: Ref) -> Rc<str> {
        match self.heap.get(c) {
            Obj::Class(c) => c.name.clone(),
            _ => Rc::from("?"),
        }
    }

    pub fn type_name(&self, v: Value) -> Rc<str> {
        self.class_name(self.type_of(v))
    }

    pub fn class_base(&self, c: Ref) -> Option<Ref> {
        match self.heap.get(c) {
            Obj::Class(c) => c.base,
            _ => None,
        }
    }

    pub fn is_subclass(&self, mut c: Ref, of: Ref) -> bool {
        loop {
            if c == of {
                return true;
            }
            // bool is a subclass of int.
            if c == self.type_ref(BuiltinType::Bool) && of == self.type_ref(BuiltinType::Int) {
                return true;
            }
            if of == self.type_ref(BuiltinType::Object) {
                return true;
            }
            match self.class_base(c) {
                Some(b) => c = b,
                None => return false,
            }
        }
    }

    pub fn isinstance(&self, v: Value, c: Ref) -> bool {
        self.is_subclass(self.type_of(v), c)
    }

    /// Looks `name` up along the class chain.
    pub fn class_lookup(&self, class: Ref, name: &str) -> Option<Value> {
        if let Some(found) = self.class_cache.get(class, name) {
            return found;
        }
        let mut c = class;
        let found = loop {
            let Obj::Class(cls) = self.heap.get(c) else {
                break None;
            };
            if let Some(v) = cls.dict.get(name) {
                break Some(*v);
            }
            match cls.base {
                Some(b) => c = b,
                None => break None,
            }
        };
        self.class_cache.put(class, name, found);
        found
    }

    pub fn class_is_exception(&self, c: Ref) -> bool {
        self.is_subclass(c, self.exc_classes[ExcKind::BaseException as usize])
    }

    pub fn new_exception(&mut self, kind: ExcKind, msg: &str) -> Value {
        let class = self.exc_classes[kind as usize];
        let args = if msg.is_empty() && kind != ExcKind::KeyError {
            vec![]
        } else {
            vec![self.new_str(msg)]
        };
        self.alloc(Obj::Instance(Box::new(Instance {
            class,
            dict: AttrMap::default(),
            exc: Some(Box::new(ExcData {
                args,
                ..Default::default()
            })),
        })))
    }

    pub fn exc_data_mut(&mut self, v: Value) -> Option<&mut ExcData> {
        match v {
            Value::Obj(r) => match self.heap.get_mut(r) {
                Obj::Instance(i) => i.exc.as_deref_mut(),
                _ => None,
            },
            _ => None,
        }
    }

    pub fn exc_data(&self, v: Value) -> Option<&ExcData> {
        match v {
            Value::Obj(r) => match self.heap.get(r) {
                Obj::Instance(i) => i.exc.as_deref(),
                _ => None,
            },
            _ => None,
        }
    }

    pub fn exc_arg0(&self, v: Value) -> Value {
        self.exc_data(v)
            .and_then(|d| d.args.first().copied())
            .unwrap_or(Value::None)
    }

    pub fn is_instance_of_kind(&self, v: Value, k: ExcKind) -> bool {
        self.isinstance(v, self.exc_classes[k as usize])
    }

    pub fn exc_matches(&mut self, e: Value, t: Value) -> PResult<bool> {
        let Value::Obj(r) = t else {
            return super::error::type_err(
                "catching classes that do not inherit from BaseException is not allowed",
            );
        };
        match self.heap.get(r) {
            Obj::Class(_) => Ok(self.isinstance(e, r)),
            Obj::Tuple(items) => {
                let items = items.clone();
                for i in items.iter() {
                    if self.exc_matches(e, *i)? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            _ => super::error::type_err(
                "catching classes that do not inherit from BaseException is not allowed",
            ),
        }
    }

    // ---- dicts keyed by strings (globals, namespaces) ----

    pub fn dict_get_str(&self, d: Ref, name: &Rc<str>) -> Option<Value> {
        match self.heap.get(d) {
            Obj::Dict(d) => d.get(&HashKey::Str(name.clone())),
            _ => None,
        }
    }

    pub fn dict_set_str(&mut self, d: Ref, name: &Rc<str>, v: Value) {
        // Rebinding an existing name (the common case) needs no new key object.
        if let Obj::Dict(dict) = self.heap.get_mut(d)
            && dict.set_existing(&HashKey::Str(name.clone()), v)
        {
            return;
        }
        let k = self.new_str(name.clone());
        if let Obj::Dict(d) = self.heap.get_mut(d) {
            d.insert(HashKey::Str(name.clone()), k, v);
        }
    }

    pub fn dict_del_str(&mut self, d: Ref, name: &Rc<str>) -> bool {
        match self.heap.get_mut(d) {
            Obj::Dict(d) => d.remove(&HashKey::Str(name.clone())).is_some(),
            _ => false,
        }
    }

    pub fn dict_set(&mut self, d: Value, k: Value, v: Value) -> PResult<()> {
        let hk = self.hash_key(k)?;
        if let Value::Obj(r) = d
            && let Obj::Dict(d) = self.heap.get_mut(r)
        {
            d.insert(hk, k, v);
        }
        Ok(())
    }

    pub fn dict_version(&self, d: Ref) -> u64 {
        match self.heap.get(d) {
            Obj::Dict(d) => d.version,
            _ => 0,
        }
    }

    pub fn load_global(&mut self, g: Ref, name: &Rc<str>) -> PResult<Value> {
        if let Some(v) = self.dict_get_str(g, name) {
            return Ok(v);
        }
        if let Some(v) = self.dict_get_str(self.builtins, name) {
            return Ok(v);
        }
        err(ExcKind::NameError, format!("name '{name}' is not defined"))
    }

    // ---- attributes ----

    fn bind(&mut self, obj: Value, found: Value, owner_is_class: bool) -> Attr {
        let Value::Obj(r) = found else {
            return Attr::Value(found);
        };
        match self.heap.get(r) {
            Obj::Function(_) if !owner_is_class => {
                Attr::Value(self.alloc(Obj::BoundMethod(obj, found)))
            }
            Obj::Native(n) if !owner_is_class && n.bound.is_none() => {
                Attr::Value(self.alloc(Obj::BoundMethod(obj, found)))
            }
            Obj::StaticMethod(f) => Attr::Value(*f),
            Obj::ClassMethod(f) => {
                let f = *f;
                let cls = if owner_is_class {
                    obj
                } else {
                    Value::Obj(self.type_of(obj))
                };
                Attr::Value(self.alloc(Obj::BoundMethod(cls, f)))
            }
            Obj::Property(fget, _, _) if !owner_is_class => Attr::Call(*fget, obj),
            _ => Attr::Value(found),
        }
    }

    pub fn lookup_attr(&mut self, obj: Value, name: &str) -> PResult<Attr> {
        if let Value::Obj(r) = obj {
            match self.heap.get(r) {
                Obj::Instance(inst) => {
                    let class = inst.class;
                    let in_dict = inst.dict.get(name).copied();
                    let found = self.class_lookup(class, name);
                    if let Some(f) = found
                        && let Value::Obj(fr) = f
                        && matches!(self.heap.get(fr), Obj::Property(..))
                    {
                        return Ok(self.bind(obj, f, false));
                    }
                    if let Some(v) = in_dict {
                        return Ok(Attr::Value(v));
                    }
                    if let Some(f) = found {
                        return Ok(self.bind(obj, f, false));
                    }
                    if let Some(v) = self.special_instance_attr(obj, class, name) {
                        return Ok(Attr::Value(v));
                    }
                    if let Some(ga) = self.class_lookup(class, "__getattr__") {
                        let n = self.new_str(name);
                        let bound = self.alloc(Obj::BoundMethod(obj, ga));
                        return Ok(Attr::Call(bound, n));
                    }
                }
                Obj::Class(c) => {
                    match name {
                        "__name__" | "__qualname__" => {
                            let n = c.name.clone();
                            return Ok(Attr::Value(self.new_str(n)));
                        }
                        "__base__" => {
                            return Ok(Attr::Value(c.base.map(Value::Obj).unwrap_or(Value::None)));
                        }
                        "__bases__" => {
                            let b: Vec<Value> = c.base.map(Value::Obj).into_iter().collect();
                            return Ok(Attr::Value(self.new_tuple(b)));
                        }
                        "__mro__" => {
                            let mut v = vec![obj];
                            let mut cur = c.base;
                            while let Some(b) = cur {
                                v.push(Value::Obj(b));
                                cur = self.class_base(b);
                            }
                            return Ok(Attr::Value(self.new_tuple(v)));
                        }
                        _ => {}
                    }
                    if let Some(f) = self.class_lookup(r, name) {
                        return Ok(self.bind(obj, f, true));
                    }
                    if let Some(f) = self.builtin_type_method(r, name) {
                        return Ok(Attr::Value(f));
                    }
                }
                Obj::Module(mname, d) => {
                    let (mname, d) = (mname.clone(), *d);
                    if let Some(v) = self.dict_get_str(d, &Rc::from(name)) {
                        return Ok(Attr::Value(v));
                    }
                    if name == "__name__" {
                        return Ok(Attr::Value(self.new_str(mname)));
                    }
                    return err(
                        ExcKind::AttributeError,
                        format!("module '{mname}' has no attribute '{name}'"),
                    );
                }
                Obj::Super(cls, this) => {
                    let (cls, this) = (*cls, *this);
                    if let Some(b) = self.class_base(cls)
                        && let Some(f) = self.class_lookup(b, name)
                    {
                        let owner_is_class = matches!(this, Value::Obj(t) if matches!(self.heap.get(t), Obj::Class(_)));
                        return Ok(self.bind(this, f, owner_is_class));
                    }
                    let object = self.types[0];
                    if let Some(f) = self.builtin_type_method(object, name) {
                        return Ok(Attr::Value(self.alloc(Obj::BoundMethod(this, f))));
                    }
                }
                Obj::Function(f) => match name {
                    "__name__" => {
                        let n = f.code.name.clone();
                        return Ok(Attr::Value(self.new_str(n)));
                    }
                    "__qualname__" => {
                        let n = f.code.qualname.clone();
                        return Ok(Attr::Value(self.new_str(n)));
                    }
                    "__doc__" => return Ok(Attr::Value(Value::None)),
                    _ => {}
                },
                Obj::Native(n) if name == "__name__" => {
                    let n = n.name;
                    return Ok(Attr::Value(self.new_str(n)));
                }
                Obj::BoundMethod(s, f) if name == "__self__" || name == "__func__" => {
                    return Ok(Attr::Value(if name == "__self__" { *s } else { *f }));
                }
                Obj::Property(fget, ..) if name == "fget" => return Ok(Attr::Value(*fget)),
                Obj::Property(..) if name == "setter" || name == "getter" || name == "deleter" => {
                    let f = self.native_method("setter", super::builtins::property_setter);
                    return Ok(Attr::Value(self.alloc(Obj::BoundMethod(obj, f))));
                }
                _ => {}
            }
        }
        let t = self.type_of(obj);
        if let Some(f) = self.class_lookup(t, name) {
            return Ok(self.bind(obj, f, false));
        }
        if let Some(f) = self.builtin_type_method(t, name) {
            if let Value::Obj(fr) = f
                && let Obj::Native(n) = self.heap.get_mut(fr)
            {
                n.bound = Some(obj);
            }
            return Ok(Attr::Value(f));
        }
        if name == "__class__" {
            return Ok(Attr::Value(Value::Obj(t)));
        }
        let tn = self.class_name(t);
        if matches!(obj, Value::Obj(r) if matches!(self.heap.get(r), Obj::Class(_))) {
            let cn = self.class_name(obj.as_ref().unwrap_or(t));
            return err(
                ExcKind::AttributeError,
                format!("type object '{cn}' has no attribute '{name}'"),
            );
        }
        err(
            ExcKind::AttributeError,
            format!("'{tn}' object has no attribute '{name}'"),
        )
    }

    fn special_instance_attr(&mut self, obj: Value, class: Ref, name: &str) -> Option<Value> {
        match name {
            "__class__" => Some(Value::Obj(class)),
            "__dict__" => {
                let Value::Obj(r) = obj else { return None };
                let items: Vec<(Rc<str>, Value)> = match self.heap.get(r) {
                    Obj::Instance(i) => i.dict.iter().map(|(k, v)| (k.clone(), *v)).collect(),
                    _ => return None,
                };
                let d = self.new_dict();
                let dr = d.as_ref()?;
                for (k, v) in items {
                    self.dict_set_str(dr, &k, v);
                }
                Some(d)
            }
            "args"
            | "__cause__"
            | "__context__"
            | "value"
            | "__traceback__"
            | "__suppress_context__" => {
                let d = self.exc_data(obj)?;
                let (args, cause, context, sup) =
                    (d.args.clone(), d.cause, d.context, d.suppress_context);
                Some(match name {
                    "args" => self.new_tuple(args),
                    "__cause__" => cause.unwrap_or(Value::None),
                    "__context__" => context.unwrap_or(Value::None),
                    "__suppress_context__" => Value::Bool(sup),
                    "value" => args.first().copied().unwrap_or(Value::None),
                    _ => Value::None,
                })
            }
            _ => None,
        }
    }

    /// A class for host objects (`Obj::Host(class, data)`): `methods` are called with the
    /// object first, `props` are read-only properties (see `add_setter`). It is kept in
    /// `host_classes` (a GC root, and how pickle names it) under `name`, `module.Class`;
    /// scripts see the last part.
    pub fn host_class(
        &mut self,
        name: &'static str,
        methods: &[(&'static str, NativeFn)],
        props: &[(&'static str, NativeFn)],
    ) -> Ref {
        let mut dict = AttrMap::default();
        for (n, f) in methods {
            dict.insert(Rc::from(*n), self.native_method(n, *f));
        }
        for (n, f) in props {
            let getter = self.native_method(n, *f);
            let prop = self.alloc(Obj::Property(getter, Value::None, Value::None));
            dict.insert(Rc::from(*n), prop);
        }
        let base = Some(self.types[0]);
        let short = name.rsplit('.').next().unwrap_or(name);
        let class = self.heap.alloc(Obj::Class(Box::new(Class {
            name: Rc::from(short),
            base,
            dict,
            builtin: Some(BuiltinType::Host),
        })));
        self.host_classes.retain(|(n, _)| *n != name);
        self.host_classes.push((name, class));
        class
    }

    /// Makes a property of a host class settable.
    pub fn add_setter(&mut self, class: Ref, prop: &'static str, setter: NativeFn) {
        let set = self.native_method(prop, setter);
        if let Obj::Class(c) = self.heap.get_mut(class)
            && let Some(Value::Obj(p)) = c.dict.get(prop).copied()
            && let Obj::Property(_, s, _) = self.heap.get_mut(p)
        {
            *s = set;
        }
    }

    pub fn noop_native(&mut self) -> Value {
        self.native_method("__init__", |_, _, _| Ok(Value::None))
    }

    pub fn native_method(&mut self, name: &'static str, f: NativeFn) -> Value {
        self.alloc(Obj::Native(Box::new(Native {
            name,
            f,
            bound: None,
        })))
    }

    fn builtin_type_method(&mut self, cls: Ref, name: &str) -> Option<Value> {
        let mut c = Some(cls);
        while let Some(cr) = c {
            let Obj::Class(k) = self.heap.get(cr) else {
                return None;
            };
            if let Some(t) = k.builtin
                && let Some((n, f)) = super::methods::builtin_method(t, name)
            {
                return Some(self.native_method(n, f));
            }
            c = k.base;
        }
        None
    }

    /// For `LoadMethod`: the function when `name` is a plain method found on obj's class
    /// (not shadowed by the instance dict), so no bound-method object is needed.
    pub fn plain_method(&self, obj: Value, name: &str) -> Option<Value> {
        let Value::Obj(r) = obj else { return None };
        let inst = match self.heap.get(r) {
            Obj::Instance(inst) => inst,
            // Host objects (channels, compiled patterns) have no instance dict; their
            // methods are natives taking the object first, called without binding.
            Obj::Host(c, _) => {
                let f = self.class_lookup(*c, name)?;
                return match f {
                    Value::Obj(fr) => match self.heap.get(fr) {
                        Obj::Native(n) if n.bound.is_none() => Some(f),
                        Obj::Function(_) => Some(f),
                        _ => None,
                    },
                    _ => None,
                };
            }
            _ => return None,
        };
        if inst.dict.contains_key(name) {
            return None;
        }
        let f = self.class_lookup(inst.class, name)?;
        match f {
            Value::Obj(fr) if matches!(self.heap.get(fr), Obj::Function(_)) => Some(f),
            _ => None,
        }
    }

    /// `LoadMethod`'s cached answer for name `i` of the running code on `obj`: the method
    /// `plain_method` found there before, while no class namespace has changed since and
    /// the instance has no attribute of that name.
    #[inline]
    pub fn cached_method(&self, obj: Value, i: u32) -> Option<Value> {
        let code = &self.frames.last()?.code;
        Vm::method_hit(&self.heap, code, self.class_cache.epoch(), obj, i)
    }

    /// `cached_method` for `code`'s name `i`, with the class cache's epoch now.
    #[inline(always)]
    pub(super) fn method_hit(
        heap: &super::heap::Heap,
        code: &super::op::Code,
        now: u64,
        obj: Value,
        i: u32,
    ) -> Option<Value> {
        let Value::Obj(r) = obj else { return None };
        let (receiver, epoch, f) = code.method_slot(i)?;
        if epoch != now {
            return None;
        }
        let hit = match receiver {
            Receiver::Class(class) => match heap.get(r) {
                Obj::Host(c, _) => *c == class,
                Obj::Instance(inst) => {
                    inst.class == class && !inst.dict.contains_key(&code.names[i as usize])
                }
                _ => false,
            },
            Receiver::Builtin(t) => builtin_kind_of(heap.get(r)) == Some(t),
        };
        hit.then_some(Value::Obj(f))
    }

    /// The class whose lookup `plain_method` answered for `obj`.
    pub fn class_of_plain(&self, obj: Value) -> Option<Ref> {
        match self.heap.get(obj.as_ref()?) {
            Obj::Host(c, _) => Some(*c),
            Obj::Instance(inst) => Some(inst.class),
            _ => None,
        }
    }

    /// Attribute access from native code: properties run in a nested loop.
    pub fn get_attr(&mut self, obj: Value, name: &str) -> PResult<Value> {
        if let Some(v) = self.fast_builtin_attr(obj, name) {
            return Ok(v);
        }
        match self.lookup_attr(obj, name)? {
            Attr::Value(v) => Ok(v),
            Attr::Call(f, a) => self.call_sync(f, vec![a], Vec::new()),
        }
    }

    pub fn has_attr(&mut self, obj: Value, name: &str) -> PResult<Option<Value>> {
        match self.get_attr(obj, name) {
            Ok(v) => Ok(Some(v)),
            Err(Exc::New(ExcKind::AttributeError, _)) => Ok(None),
            Err(Exc::Obj(e)) if self.is_instance_of_kind(e, ExcKind::AttributeError) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Methods of built-in values, bound without a detour through the class chain.
    /// The built-in type whose methods `fast_builtin_attr` serves.
    pub(super) fn builtin_kind(&self, r: Ref) -> Option<BuiltinType> {
        builtin_kind_of(self.heap.get(r))
    }

    /// The shared unbound native of method `name` of built-in type `t`: for `obj.name(...)`
    /// on a string, container or generator, one native per type and name, shared by every
    /// call (`LoadMethod` passes `obj` as the first argument), so a method call allocates no
    /// bound method.
    pub fn unbound_builtin(&mut self, t: BuiltinType, name: &str) -> Option<Value> {
        let (n, f) = super::methods::builtin_method(t, name)?;
        let key = (t as u8, n.as_ptr() as usize);
        if let Some(v) = self.unbound_methods.get(&key) {
            return Some(v.2);
        }
        let v = self.alloc(Obj::Native(Box::new(Native {
            name: n,
            f,
            bound: None,
        })));
        self.pinned.push(v);
        self.unbound_methods.insert(key, (t, n, v));
        Some(v)
    }

    fn fast_builtin_attr(&mut self, obj: Value, name: &str) -> Option<Value> {
        let Value::Obj(r) = obj else { return None };
        let t = self.builtin_kind(r)?;
        let (n, f) = super::methods::builtin_method(t, name)?;
        Some(self.alloc(Obj::Native(Box::new(Native {
            name: n,
            f,
            bound: Some(obj),
        }))))
    }

    /// `LoadAttr` on an instance in the common cases: an attribute of its own that no
    /// property hides, a plain class attribute, or a property whose getter is a simple
    /// Python function (its frame is pushed). False, with nothing done, otherwise.
    pub fn load_instance_attr(&mut self, obj: Value, name: &str) -> bool {
        let Value::Obj(r) = obj else { return false };
        let Obj::Instance(inst) = self.heap.get(r) else {
            return false;
        };
        let own = inst.dict.get(name).copied();
        let found = self.class_lookup(inst.class, name);
        let v = match (found, own) {
            (None, Some(v)) => v,
            (Some(Value::Obj(f)), own) => match self.heap.get(f) {
                Obj::Property(Value::Obj(fget), ..) => {
                    let fget = *fget;
                    // A native getter would run now, with its errors to raise: general path.
                    if !matches!(self.heap.get(fget), Obj::Function(_)) {
                        return false;
                    }
                    self.push(Value::Obj(fget));
                    self.push(obj);
                    let at = self.top().stack.len() - 2;
                    if self.call_from_stack(at, at).is_some() {
                        return true;
                    }
                    self.top().stack.truncate(at);
                    return false;
                }
                Obj::Property(..) => return false,
                _ => match own {
                    Some(v) => v,
                    None => return false,
                },
            },
            (Some(v), None) => v,
            (Some(_), Some(v)) => v,
            (None, None) => return false,
        };
        self.push(v);
        true
    }

    /// `LoadAttr`: pushes the attribute, or pushes a frame for a property getter.
    pub fn load_attr(&mut self, obj: Value, name: &str) -> PResult<()> {
        if let Some(v) = self.fast_builtin_attr(obj, name) {
            self.push(v);
            return Ok(());
        }
        match self.lookup_attr(obj, name)? {
            Attr::Value(v) => {
                self.push(v);
                Ok(())
            }
            Attr::Call(f, a) => self.invoke(f, vec![a], Vec::new(), Hook::PUSH),
        }
    }

    pub fn store_attr(&mut self, obj: Value, name: &Rc<str>, v: Value) -> PResult<()> {
        let Value::Obj(r) = obj else {
            let t = self.type_name(obj);
            return err(
                ExcKind::AttributeError,
                format!("'{t}' object has no attribute '{name}'"),
            );
        };
        let class = match self.heap.get(r) {
            Obj::Instance(i) => Some(i.class),
            // Host objects may expose settable properties (`channel.preference`).
            Obj::Host(c, _) => Some(*c),
            _ => None,
        };
        if let Some(c) = class {
            if let Some(Value::Obj(p)) = self.class_lookup(c, name)
                && let Obj::Property(_, fset, _) = self.heap.get(p)
            {
                let fset = *fset;
                if matches!(fset, Value::None) {
                    return err(
                        ExcKind::AttributeError,
                        format!("can't set attribute '{name}'"),
                    );
                }
                self.call_sync(fset, vec![obj, v], Vec::new())?;
                return Ok(());
            }
            if let Some(sa) = self.class_lookup(c, "__setattr__") {
                let n = self.new_str(name.clone());
                self.call_sync(sa, vec![obj, n, v], Vec::new())?;
                return Ok(());
            }
        }
        match self.heap.get_mut(r) {
            Obj::Instance(i) => {
                i.dict.insert(name.clone(), v);
                Ok(())
            }
            Obj::Class(c) => {
                c.dict.insert(name.clone(), v);
                self.class_cache.invalidate();
                Ok(())
            }
            Obj::Function(_) => Ok(()),
            Obj::Module(_, d) => {
                let d = *d;
                self.dict_set_str(d, name, v);
                Ok(())
            }
            _ => {
                let t = self.type_name(obj);
                err(
                    ExcKind::AttributeError,
                    format!("'{t}' object has no attribute '{name}'"),
                )
            }
        }
    }

    pub fn delete_attr(&mut self, obj: Value, name: &str) -> PResult<()> {
        if let Value::Obj(r) = obj {
            let removed = match self.heap.get_mut(r) {
                Obj::Instance(i) => i.dict.remove(name).is_some(),
                Obj::Class(c) if c.builtin.is_none() => {
                    let gone = c.dict.remove(name).is_some();
                    // A lookup on this class or a subclass may have found it.
                    self.class_cache.invalidate();
                    gone
                }
                _ => false,
            };
            if removed {
                return Ok(());
            }
        }
        let t = self.type_name(obj);
        err(
            ExcKind::AttributeError,
            format!("'{t}' object has no attribute '{name}'"),
        )
    }

    // ---- classes ----

    pub fn start_class_body(&mut self, body: Value, bases: Value, name: Value) -> PResult<()> {
        let Some(Value::Obj(fr)) = Some(body) else {
            return super::error::type_err("bad class body");
        };
        let Obj::Function(f) = self.heap.get(fr) else {
            return super::error::type_err("bad class body");
        };
        let (code, globals, closure) = (f.code.clone(), f.globals, f.closure.clone());
        let mut cells: Vec<Ref> = code
            .cellvars
            .iter()
            .map(|_| self.heap.alloc(Obj::Cell(None)))
            .collect();
        cells.extend(closure.iter().copied());
        let ns = self.new_dict().as_ref();
        let frame = Frame {
            code,
            ip: 0,
            stack: Vec::new(),
            fast: Vec::new(),
            cells,
            globals,
            ns,
            blocks: Vec::new(),
            handling: Vec::new(),
            func: Some(fr),
            hook: Hook {
                target: Target::Push,
                transform: Transform::MakeClass(bases, name),
            },
            genr: None,
        };
        self.frames.push(frame);
        Ok(())
    }

    pub fn finish_class(&mut self, ns: Option<Ref>, bases: Value, name: Value) -> PResult<Value> {
        let bases = self.tuple_items(bases);
        let base = match bases.first() {
            Some(Value::Obj(b)) if matches!(self.heap.get(*b), Obj::Class(_)) => Some(*b),
            Some(_) => return super::error::type_err("bases must be types"),
            None => Some(self.type_ref(BuiltinType::Object)),
        };
        if let Some(b) = base
            && let Obj::Class(bc) = self.heap.get(b)
            && bc.builtin.is_some_and(|t| t != BuiltinType::Object)
        {
            // Instances of built-in types keep their data in Rust; a subclass would need to
            // carry that data too. Say so rather than build a class that half works.
            let n = bc.name.clone();
            return super::error::type_err(format!(
                "subclassing the built-in type '{n}' is not supported"
            ));
        }
        let mut dict = AttrMap::default();
        if let Some(ns) = ns
            && let Obj::Dict(d) = self.heap.get(ns)
        {
            for (k, v) in d.iter() {
                if let Some(k) = self.str_val(k) {
                    dict.insert(k, v);
                }
            }
        }
        let name = self.str_val(name).unwrap_or_else(|| Rc::from("?"));
        let cls = self.heap.alloc(Obj::Class(Box::new(Class {
            name,
            base,
            dict: dict.clone(),
            builtin: None,
        })));
        for v in dict.values() {
            let mut f = *v;
            if let Value::Obj(r) = f {
                match self.heap.get(r) {
                    Obj::StaticMethod(x) | Obj::ClassMethod(x) | Obj::Property(x, _, _) => f = *x,
                    _ => {}
                }
            }
            if let Value::Obj(r) = f
                && let Obj::Function(func) = self.heap.get_mut(r)
            {
                func.class = Some(cls);
            }
        }
        Ok(Value::Obj(cls))
    }

    /// Builds an instance of a user class; returns it with the `__init__` to run, if any.
    pub fn new_instance(&mut self, class: Ref, args: &[Value]) -> (Value, Option<Value>) {
        let exc = if self.class_is_exception(class) {
            Some(Box::new(ExcData {
                args: args.to_vec(),
                ..Default::default()
            }))
        } else {
            None
        };
        let inst = self.alloc(Obj::Instance(Box::new(Instance {
            class,
            dict: AttrMap::default(),
            exc,
        })));
        (inst, self.class_lookup(class, "__init__"))
    }
}

/// The built-in type whose methods `fast_builtin_attr` and `unbound_builtin` serve for `o`.
#[inline(always)]
fn builtin_kind_of(o: &Obj) -> Option<BuiltinType> {
    Some(match o {
        Obj::Str(_) => BuiltinType::Str,
        Obj::List(_) => BuiltinType::List,
        Obj::Dict(_) => BuiltinType::Dict,
        Obj::Tuple(_) => BuiltinType::Tuple,
        Obj::Set(_, true) => BuiltinType::FrozenSet,
        Obj::Set(_, false) => BuiltinType::Set,
        Obj::Bytes(_) => BuiltinType::Bytes,
        Obj::Generator(_) => BuiltinType::Generator,
        _ => return None,
    })
}
