//! `driftscope checks --lint`: the check library and its SOPs agree.
