//! Evaluation-stack depths of a code object, by instruction: a loaded frame's stack must have
//! the depth its position implies, so a crafted pickle cannot make an instruction pop values
//! that are not there.

use super::super::op::{Code, Op};

/// How an instruction changes the stack, and where control may go next.
enum Flow {
    /// Falls through with this stack effect.
    Next(i64),
    /// Jumps to a target with one effect, falls through with another.
    Branch(u32, i64, i64),
    /// Always jumps, effect 0.
    Jump(u32),
    /// Leaves the frame.
    End,
}

fn flow(op: Op) -> Flow {
    use Flow::*;
    let n = |x: u32| x as i64;
    match op {
        Op::Nop | Op::Rot2 | Op::Rot3 | Op::Unary(_) | Op::GetIter | Op::ListToTuple => Next(0),
        Op::LoadAttr(_) | Op::ExcMatch | Op::PopBlock | Op::PopExcept => Next(0),
        Op::LoadConst(_)
        | Op::LoadFast(_)
        | Op::LoadDeref(_)
        | Op::LoadClosure(_)
        | Op::LoadGlobal(_)
        | Op::LoadName(_)
        | Op::LoadMethod(_)
        | Op::Dup
        | Op::WithEnter
        | Op::WithExit
        | Op::Import(_)
        | Op::ImportFrom(_)
        | Op::LoadAssertionError => Next(1),
        Op::Dup2 | Op::LoadFastMethod(..) => Next(2),
        Op::DeleteFast(_)
        | Op::DeleteDeref(_)
        | Op::DeleteGlobal(_)
        | Op::DeleteName(_)
        | Op::Yield => Next(0),
        Op::StoreFast(_)
        | Op::StoreDeref(_)
        | Op::StoreGlobal(_)
        | Op::StoreName(_)
        | Op::DeleteAttr(_)
        | Op::Subscr
        | Op::Pop
        | Op::Binary(_)
        | Op::Inplace(_)
        | Op::Compare(_)
        | Op::ListExtend(_)
        | Op::ListAppend(_)
        | Op::SetAdd(_)
        | Op::SetUpdate(_)
        | Op::DictUpdate(_)
        | Op::ImportStar => Next(-1),
        Op::StoreAttr(_) | Op::DeleteSubscr | Op::MapAdd(_) | Op::CallEx | Op::BuildClass => {
            Next(-2)
        }
        Op::StoreSubscr => Next(-3),
        Op::CallMethod(k) => Next(-n(k) - 1),
        Op::Call(k) => Next(-n(k)),
        Op::CallKw(k) => Next(-n(k) - 1),
        Op::BuildTuple(k)
        | Op::BuildList(k)
        | Op::BuildSet(k)
        | Op::BuildSlice(k)
        | Op::BuildString(k) => Next(1 - n(k)),
        Op::BuildMap(k) => Next(1 - 2 * n(k)),
        Op::FormatValue(_, spec) => Next(-(spec as i64)),
        Op::UnpackSequence(k) => Next(n(k) - 1),
        Op::UnpackEx(b, a) => Next(b as i64 + a as i64),
        Op::MakeFunction(_, flags) => Next(1 - (flags & 7).count_ones() as i64),
        Op::Jump(t) => Jump(t),
        Op::PopJumpIfFalse(t) | Op::PopJumpIfTrue(t) => Branch(t, -1, -1),
        Op::JumpIfFalseOrPop(t) | Op::JumpIfTrueOrPop(t) => Branch(t, 0, -1),
        Op::ForIter(t) => Branch(t, -1, 1),
        Op::SendIter(t) => Branch(t, -1, 0),
        // The handler starts at the depth of the setup, plus the exception.
        Op::SetupExcept(t) => Branch(t, 1, 0),
        Op::Return | Op::Raise(_) | Op::Reraise => End,
    }
}

/// The stack depth before each instruction (index `ops.len()`: falling off the end), `None`
/// where no path reaches. The second value is false if two paths disagreed (a bug in the
/// table above or in the compiler); the first depth found is kept then.
pub fn depths(code: &Code) -> (Vec<Option<u32>>, bool) {
    let len = code.ops.len();
    let mut d: Vec<Option<u32>> = vec![None; len + 1];
    let mut consistent = true;
    let mut work = vec![(0usize, 0i64)];
    while let Some((ip, depth)) = work.pop() {
        if ip > len || depth < 0 {
            consistent = false;
            continue;
        }
        match d[ip] {
            Some(x) => {
                if x as i64 != depth {
                    consistent = false;
                }
                continue;
            }
            None => d[ip] = Some(depth as u32),
        }
        let Some(op) = code.ops.get(ip) else {
            continue;
        };
        match flow(*op) {
            Flow::Next(e) => work.push((ip + 1, depth + e)),
            Flow::Branch(t, et, ef) => {
                work.push((t as usize, depth + et));
                work.push((ip + 1, depth + ef));
            }
            Flow::Jump(t) => work.push((t as usize, depth)),
            Flow::End => {}
        }
    }
    (d, consistent)
}
