/* global module */
// Stand-in for the model files @kestra-io/kestra-sdk 0.24.1 requires but does not ship (SLALabels…):
// the data passes through unchanged.
'use strict';
class MissingModel {
  static constructFromObject(data) {
    return data;
  }
  static validateJSON() {
    return true;
  }
}
module.exports = { __esModule: true, default: MissingModel };
