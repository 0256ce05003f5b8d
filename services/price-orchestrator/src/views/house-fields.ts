import { z } from 'zod';

/**
 * The house fields of the API, declared once: one entry per input column of the housing price model (the 73
 * columns of `ml/housing-price-model/data/ames.csv` other than `Sale_Price`, in CSV order, which is the order of
 * the model signature). The API schema ({@link houseSchema}), the API → model conversion ({@link toModelRow}) and
 * the model column list ({@link MODEL_COLUMNS}) are derived from this table below it;
 * `tests/unit/views/house-fields.test.ts` checks the table against the data set.
 *
 * Conventions:
 * - Names are camelCase. Areas end in `Area` and are in square feet; counts are plain plurals (`bedrooms`,
 *   `fireplaces`); rooms, bedrooms, kitchens and bathrooms without the `basement` prefix are above grade (ground).
 * - Descriptions follow De Cock's data dictionary for the Ames data (Journal of Statistics Education, 2011);
 *   coded levels are explained in the description.
 * - Category levels are exactly the data set's levels for that column. Where a data level is not a clean
 *   identifier (spaces, `&`, a trailing space) or the data spells one material two ways across the two exterior
 *   columns, the API level is the clean dictionary spelling and `modelLevels` maps it to the data's spelling.
 * - Numeric bounds hold every value in the data with headroom: no negative areas, counts or money; years
 *   1800–2100; months 1–12; coordinates within an Ames-area box (the model has only seen sales in Ames).
 */

export type FieldUnit = 'square feet' | 'feet' | 'year' | 'month' | 'count' | 'US dollars' | 'decimal degrees' | 'code';

export interface NumberFieldSpec {
  /** API field name. */
  readonly name: string;
  /** Model input column. */
  readonly column: string;
  readonly kind: 'number';
  readonly integer: boolean;
  /** Inclusive bounds. */
  readonly min: number;
  readonly max: number;
  readonly unit: FieldUnit;
  readonly description: string;
}

export interface CategoryFieldSpec {
  readonly name: string;
  readonly column: string;
  readonly kind: 'category';
  /** API levels; each one is a model level, or is mapped to one by `modelLevels`. */
  readonly levels: readonly [string, ...string[]];
  /** API level → model level, only for the levels whose spelling differs. */
  readonly modelLevels?: Readonly<Record<string, string>>;
  readonly description: string;
}

export type HouseFieldSpec = NumberFieldSpec | CategoryFieldSpec;

/** Upper bound of every floor and basement area: about three times the largest in the data (6,110 sq ft). */
const MAX_FLOOR_AREA = 20_000;
/** Upper bound of garage, porch, deck, pool and veneer areas: three or more times the largest in the data. */
const MAX_OUTDOOR_AREA = 5_000;
const MIN_YEAR = 1800;
const MAX_YEAR = 2100;

const QUALITY_LEVELS = ['Excellent', 'Good', 'Typical', 'Fair', 'Poor'] as const;

/** Exterior covering materials, as the data dictionary spells them; the second covering may also be `Other`. */
const EXTERIOR_LEVELS = [
  'AsbShng',
  'AsphShn',
  'BrkComm',
  'BrkFace',
  'CBlock',
  'CemntBd',
  'HdBoard',
  'ImStucc',
  'MetalSd',
  'Plywood',
  'PreCast',
  'Stone',
  'Stucco',
  'VinylSd',
  'WdSdng',
  'WdShing',
] as const;

const EXTERIOR_CODES =
  'AsbShng asbestos shingles, AsphShn asphalt shingles, BrkComm common brick, BrkFace face brick, CBlock cinder ' +
  'block, CemntBd cement board, HdBoard hard board, ImStucc imitation stucco, MetalSd metal siding, PreCast ' +
  'precast, VinylSd vinyl siding, WdSdng wood siding, WdShing wood shingles';

const BASEMENT_FINISH_CODES =
  'GLQ good living quarters, ALQ average living quarters, BLQ below average living quarters, Rec average rec ' +
  'room, LwQ low quality, Unf unfinished';

const PROXIMITY_CODES =
  'Artery on an arterial street, Feedr on a feeder street, Norm normal, RRNn/RRAn within 200 ft of/adjacent to ' +
  'the north-south railroad, RRNe/RRAe the same for the east-west railroad, PosN/PosA near/adjacent to a positive ' +
  'off-site feature (park, greenbelt)';

export const HOUSE_FIELDS = [
  {
    name: 'dwellingClass',
    column: 'MS_SubClass',
    kind: 'category',
    levels: [
      'One_Story_1946_and_Newer_All_Styles',
      'One_Story_1945_and_Older',
      'One_Story_with_Finished_Attic_All_Ages',
      'One_and_Half_Story_Unfinished_All_Ages',
      'One_and_Half_Story_Finished_All_Ages',
      'Two_Story_1946_and_Newer',
      'Two_Story_1945_and_Older',
      'Two_and_Half_Story_All_Ages',
      'Split_or_Multilevel',
      'Split_Foyer',
      'Duplex_All_Styles_and_Ages',
      'One_Story_PUD_1946_and_Newer',
      'One_and_Half_Story_PUD_All_Ages',
      'Two_Story_PUD_1946_and_Newer',
      'PUD_Multilevel_Split_Level_Foyer',
      'Two_Family_conversion_All_Styles_and_Ages',
    ],
    description: 'Type of dwelling involved in the sale (PUD: planned unit development).',
  },
  {
    name: 'zoning',
    column: 'MS_Zoning',
    kind: 'category',
    levels: [
      'A_agr',
      'C_all',
      'Floating_Village_Residential',
      'I_all',
      'Residential_High_Density',
      'Residential_Low_Density',
      'Residential_Medium_Density',
    ],
    description: 'General zoning classification of the sale (A_agr agriculture, C_all commercial, I_all industrial).',
  },
  {
    name: 'lotFrontage',
    column: 'Lot_Frontage',
    kind: 'number',
    integer: true,
    min: 0,
    max: 1_000,
    unit: 'feet',
    description: 'Linear feet of street connected to the property (0 where none was recorded).',
  },
  {
    name: 'lotArea',
    column: 'Lot_Area',
    kind: 'number',
    integer: true,
    min: 1,
    max: 1_000_000,
    unit: 'square feet',
    description: 'Lot size.',
  },
  {
    name: 'streetSurface',
    column: 'Street',
    kind: 'category',
    levels: ['Grvl', 'Pave'],
    description: 'Type of road access to the property (Grvl gravel, Pave paved).',
  },
  {
    name: 'alleyAccess',
    column: 'Alley',
    kind: 'category',
    levels: ['Gravel', 'Paved', 'No_Alley_Access'],
    description: 'Type of alley access to the property.',
  },
  {
    name: 'lotShape',
    column: 'Lot_Shape',
    kind: 'category',
    levels: ['Regular', 'Slightly_Irregular', 'Moderately_Irregular', 'Irregular'],
    description: 'General shape of the property.',
  },
  {
    name: 'landContour',
    column: 'Land_Contour',
    kind: 'category',
    levels: ['Lvl', 'Bnk', 'HLS', 'Low'],
    description:
      'Flatness of the property (Lvl near flat, Bnk banked: quick rise from street grade to building, HLS hillside: ' +
      'significant slope from side to side, Low depression).',
  },
  {
    name: 'utilities',
    column: 'Utilities',
    kind: 'category',
    levels: ['AllPub', 'NoSewr', 'NoSeWa'],
    description:
      'Type of utilities available (AllPub all public utilities, NoSewr electricity, gas and water with a septic ' +
      'tank, NoSeWa electricity and gas only).',
  },
  {
    name: 'lotConfiguration',
    column: 'Lot_Config',
    kind: 'category',
    levels: ['Inside', 'Corner', 'CulDSac', 'FR2', 'FR3'],
    description:
      'Lot configuration (Inside inside lot, Corner corner lot, CulDSac cul-de-sac, FR2/FR3 frontage on 2/3 sides).',
  },
  {
    name: 'landSlope',
    column: 'Land_Slope',
    kind: 'category',
    levels: ['Gtl', 'Mod', 'Sev'],
    description: 'Slope of the property (Gtl gentle, Mod moderate, Sev severe).',
  },
  {
    name: 'neighborhood',
    column: 'Neighborhood',
    kind: 'category',
    levels: [
      'Bloomington_Heights',
      'Blueste',
      'Briardale',
      'Brookside',
      'Clear_Creek',
      'College_Creek',
      'Crawford',
      'Edwards',
      'Gilbert',
      'Green_Hills',
      'Greens',
      'Iowa_DOT_and_Rail_Road',
      'Landmark',
      'Meadow_Village',
      'Mitchell',
      'North_Ames',
      'Northpark_Villa',
      'Northridge',
      'Northridge_Heights',
      'Northwest_Ames',
      'Old_Town',
      'Sawyer',
      'Sawyer_West',
      'Somerset',
      'South_and_West_of_Iowa_State_University',
      'Stone_Brook',
      'Timberland',
      'Veenker',
    ],
    description: 'Physical location within the Ames city limits.',
  },
  {
    name: 'proximityCondition1',
    column: 'Condition_1',
    kind: 'category',
    levels: ['Artery', 'Feedr', 'Norm', 'RRNn', 'RRAn', 'PosN', 'PosA', 'RRNe', 'RRAe'],
    description: `Proximity to various conditions (${PROXIMITY_CODES}).`,
  },
  {
    name: 'proximityCondition2',
    column: 'Condition_2',
    kind: 'category',
    levels: ['Artery', 'Feedr', 'Norm', 'RRNn', 'RRAn', 'PosN', 'PosA', 'RRAe'],
    description: `Proximity to various conditions, if more than one is present (${PROXIMITY_CODES}).`,
  },
  {
    name: 'buildingType',
    column: 'Bldg_Type',
    kind: 'category',
    levels: ['OneFam', 'TwoFmCon', 'Duplex', 'TwnhsE', 'Twnhs'],
    description:
      'Type of dwelling (OneFam single-family detached, TwoFmCon two-family conversion of a one-family dwelling, ' +
      'Duplex, TwnhsE townhouse end unit, Twnhs townhouse inside unit).',
  },
  {
    name: 'houseStyle',
    column: 'House_Style',
    kind: 'category',
    levels: [
      'One_Story',
      'One_and_Half_Fin',
      'One_and_Half_Unf',
      'Two_Story',
      'Two_and_Half_Fin',
      'Two_and_Half_Unf',
      'SFoyer',
      'SLvl',
    ],
    description: 'Style of dwelling (Fin/Unf: upper level finished/unfinished, SFoyer split foyer, SLvl split level).',
  },
  {
    name: 'overallCondition',
    column: 'Overall_Cond',
    kind: 'category',
    levels: [
      'Excellent',
      'Very_Good',
      'Good',
      'Above_Average',
      'Average',
      'Below_Average',
      'Fair',
      'Poor',
      'Very_Poor',
    ],
    description: 'Overall condition of the house, rated from Very_Poor to Excellent.',
  },
  {
    name: 'yearBuilt',
    column: 'Year_Built',
    kind: 'number',
    integer: true,
    min: MIN_YEAR,
    max: MAX_YEAR,
    unit: 'year',
    description: 'Original construction year.',
  },
  {
    name: 'yearRemodeled',
    column: 'Year_Remod_Add',
    kind: 'number',
    integer: true,
    min: MIN_YEAR,
    max: MAX_YEAR,
    unit: 'year',
    description:
      'Year of the last remodel or addition (the construction year if none; the data records 1950 for ' +
      'anything remodeled in or before 1950).',
  },
  {
    name: 'roofStyle',
    column: 'Roof_Style',
    kind: 'category',
    levels: ['Flat', 'Gable', 'Gambrel', 'Hip', 'Mansard', 'Shed'],
    description: 'Type of roof (Gambrel: barn style).',
  },
  {
    name: 'roofMaterial',
    column: 'Roof_Matl',
    kind: 'category',
    levels: ['ClyTile', 'CompShg', 'Membran', 'Metal', 'Roll', 'TarGrv', 'WdShake', 'WdShngl'],
    modelLevels: { TarGrv: 'Tar&Grv' },
    description:
      'Roof material (ClyTile clay or tile, CompShg standard composite shingle, Membran membrane, Roll roll, ' +
      'TarGrv gravel and tar, WdShake wood shakes, WdShngl wood shingles).',
  },
  {
    name: 'exteriorCovering1',
    column: 'Exterior_1st',
    kind: 'category',
    levels: EXTERIOR_LEVELS,
    modelLevels: { WdSdng: 'Wd Sdng' },
    description: `Exterior covering on the house (${EXTERIOR_CODES}).`,
  },
  {
    name: 'exteriorCovering2',
    column: 'Exterior_2nd',
    kind: 'category',
    // The same codes as the first covering, plus Other; the data spells more of them differently in this column.
    levels: [...EXTERIOR_LEVELS, 'Other'],
    modelLevels: { BrkComm: 'Brk Cmn', CemntBd: 'CmentBd', WdSdng: 'Wd Sdng', WdShing: 'Wd Shng' },
    description: `Exterior covering on the house, if more than one material (${EXTERIOR_CODES}).`,
  },
  {
    name: 'masonryVeneerType',
    column: 'Mas_Vnr_Type',
    kind: 'category',
    levels: ['BrkCmn', 'BrkFace', 'CBlock', 'Stone', 'None'],
    description: 'Masonry veneer type (BrkCmn common brick, BrkFace face brick, CBlock cinder block).',
  },
  {
    name: 'masonryVeneerArea',
    column: 'Mas_Vnr_Area',
    kind: 'number',
    integer: true,
    min: 0,
    max: MAX_OUTDOOR_AREA,
    unit: 'square feet',
    description: 'Masonry veneer area.',
  },
  {
    name: 'exteriorCondition',
    column: 'Exter_Cond',
    kind: 'category',
    levels: QUALITY_LEVELS,
    description: 'Present condition of the material on the exterior.',
  },
  {
    name: 'foundation',
    column: 'Foundation',
    kind: 'category',
    levels: ['BrkTil', 'CBlock', 'PConc', 'Slab', 'Stone', 'Wood'],
    description: 'Type of foundation (BrkTil brick and tile, CBlock cinder block, PConc poured concrete).',
  },
  {
    name: 'basementCondition',
    column: 'Bsmt_Cond',
    kind: 'category',
    levels: [...QUALITY_LEVELS, 'No_Basement'],
    description: 'General condition of the basement.',
  },
  {
    name: 'basementExposure',
    column: 'Bsmt_Exposure',
    kind: 'category',
    levels: ['Gd', 'Av', 'Mn', 'No', 'No_Basement'],
    description: 'Walkout or garden-level basement walls (Gd good exposure, Av average, Mn minimum, No no exposure).',
  },
  {
    name: 'basementFinishType1',
    column: 'BsmtFin_Type_1',
    kind: 'category',
    levels: ['GLQ', 'ALQ', 'BLQ', 'Rec', 'LwQ', 'Unf', 'No_Basement'],
    description: `Rating of the basement finished area (${BASEMENT_FINISH_CODES}).`,
  },
  {
    name: 'basementFinishType1Code',
    column: 'BsmtFin_SF_1',
    kind: 'number',
    integer: true,
    min: 0,
    max: 7,
    unit: 'code',
    description:
      'Number code of basementFinishType1, not an area: in this data set (R modeldata) the "type 1 finished square ' +
      'feet" column holds 1 ALQ, 2 BLQ, 3 GLQ, 4 LwQ, 5 No_Basement, 6 Rec, 7 Unf (0 once, for No_Basement).',
  },
  {
    name: 'basementFinishType2',
    column: 'BsmtFin_Type_2',
    kind: 'category',
    levels: ['GLQ', 'ALQ', 'BLQ', 'Rec', 'LwQ', 'Unf', 'No_Basement'],
    description: `Rating of the second basement finished area, if there are several types (${BASEMENT_FINISH_CODES}).`,
  },
  {
    name: 'basementFinishedArea2',
    column: 'BsmtFin_SF_2',
    kind: 'number',
    integer: true,
    min: 0,
    max: MAX_FLOOR_AREA,
    unit: 'square feet',
    description: 'Finished basement area of the second type (basementFinishType2).',
  },
  {
    name: 'basementUnfinishedArea',
    column: 'Bsmt_Unf_SF',
    kind: 'number',
    integer: true,
    min: 0,
    max: MAX_FLOOR_AREA,
    unit: 'square feet',
    description: 'Unfinished basement area.',
  },
  {
    name: 'totalBasementArea',
    column: 'Total_Bsmt_SF',
    kind: 'number',
    integer: true,
    min: 0,
    max: MAX_FLOOR_AREA,
    unit: 'square feet',
    description: 'Total basement area.',
  },
  {
    name: 'heating',
    column: 'Heating',
    kind: 'category',
    levels: ['Floor', 'GasA', 'GasW', 'Grav', 'OthW', 'Wall'],
    description:
      'Type of heating (Floor floor furnace, GasA gas forced warm air furnace, GasW gas hot water or steam heat, ' +
      'Grav gravity furnace, OthW hot water or steam heat other than gas, Wall wall furnace).',
  },
  {
    name: 'heatingQuality',
    column: 'Heating_QC',
    kind: 'category',
    levels: QUALITY_LEVELS,
    description: 'Heating quality and condition.',
  },
  {
    name: 'centralAir',
    column: 'Central_Air',
    kind: 'category',
    levels: ['Y', 'N'],
    description: 'Central air conditioning (Y yes, N no).',
  },
  {
    name: 'electricalSystem',
    column: 'Electrical',
    kind: 'category',
    levels: ['SBrkr', 'FuseA', 'FuseF', 'FuseP', 'Mix', 'Unknown'],
    description:
      'Electrical system (SBrkr standard circuit breakers and Romex, FuseA fuse box over 60 A with Romex wiring, ' +
      'FuseF 60 A fuse box with mostly Romex wiring, FuseP 60 A fuse box with mostly knob-and-tube wiring, Mix ' +
      'mixed, Unknown not recorded).',
  },
  {
    name: 'firstFloorArea',
    column: 'First_Flr_SF',
    kind: 'number',
    integer: true,
    min: 1,
    max: MAX_FLOOR_AREA,
    unit: 'square feet',
    description: 'First floor area.',
  },
  {
    name: 'secondFloorArea',
    column: 'Second_Flr_SF',
    kind: 'number',
    integer: true,
    min: 0,
    max: MAX_FLOOR_AREA,
    unit: 'square feet',
    description: 'Second floor area (0 without a second floor).',
  },
  {
    name: 'grossLivingArea',
    column: 'Gr_Liv_Area',
    kind: 'number',
    integer: true,
    min: 1,
    max: MAX_FLOOR_AREA,
    unit: 'square feet',
    description: 'Above grade (ground) living area: finished floors, basement excluded.',
  },
  {
    name: 'basementFullBathrooms',
    column: 'Bsmt_Full_Bath',
    kind: 'number',
    integer: true,
    min: 0,
    max: 10,
    unit: 'count',
    description: 'Full bathrooms in the basement.',
  },
  {
    name: 'basementHalfBathrooms',
    column: 'Bsmt_Half_Bath',
    kind: 'number',
    integer: true,
    min: 0,
    max: 10,
    unit: 'count',
    description: 'Half bathrooms in the basement.',
  },
  {
    name: 'fullBathrooms',
    column: 'Full_Bath',
    kind: 'number',
    integer: true,
    min: 0,
    max: 10,
    unit: 'count',
    description: 'Full bathrooms above grade.',
  },
  {
    name: 'halfBathrooms',
    column: 'Half_Bath',
    kind: 'number',
    integer: true,
    min: 0,
    max: 10,
    unit: 'count',
    description: 'Half bathrooms above grade.',
  },
  {
    name: 'bedrooms',
    column: 'Bedroom_AbvGr',
    kind: 'number',
    integer: true,
    min: 0,
    max: 20,
    unit: 'count',
    description: 'Bedrooms above grade (basement bedrooms not included).',
  },
  {
    name: 'kitchens',
    column: 'Kitchen_AbvGr',
    kind: 'number',
    integer: true,
    min: 0,
    max: 10,
    unit: 'count',
    description: 'Kitchens above grade.',
  },
  {
    name: 'totalRooms',
    column: 'TotRms_AbvGrd',
    kind: 'number',
    integer: true,
    min: 1,
    max: 30,
    unit: 'count',
    description: 'Total rooms above grade, bathrooms not included.',
  },
  {
    name: 'functionality',
    column: 'Functional',
    kind: 'category',
    levels: ['Typ', 'Min1', 'Min2', 'Mod', 'Maj1', 'Maj2', 'Sev', 'Sal'],
    description:
      'Home functionality, typical unless deductions are warranted (Typ typical, Min1/Min2 minor deductions, Mod ' +
      'moderate deductions, Maj1/Maj2 major deductions, Sev severely damaged, Sal salvage only).',
  },
  {
    name: 'fireplaces',
    column: 'Fireplaces',
    kind: 'number',
    integer: true,
    min: 0,
    max: 10,
    unit: 'count',
    description: 'Number of fireplaces.',
  },
  {
    name: 'garageType',
    column: 'Garage_Type',
    kind: 'category',
    levels: ['Attchd', 'Basment', 'BuiltIn', 'CarPort', 'Detchd', 'More_Than_Two_Types', 'No_Garage'],
    description:
      'Garage location (Attchd attached to the home, Basment basement garage, BuiltIn built-in: part of the house, ' +
      'typically with a room above, CarPort car port, Detchd detached, More_Than_Two_Types more than one type).',
  },
  {
    name: 'garageFinish',
    column: 'Garage_Finish',
    kind: 'category',
    levels: ['Fin', 'RFn', 'Unf', 'No_Garage'],
    description: 'Interior finish of the garage (Fin finished, RFn rough finished, Unf unfinished).',
  },
  {
    name: 'garageCars',
    column: 'Garage_Cars',
    kind: 'number',
    integer: true,
    min: 0,
    max: 10,
    unit: 'count',
    description: 'Size of the garage in car capacity.',
  },
  {
    name: 'garageArea',
    column: 'Garage_Area',
    kind: 'number',
    integer: true,
    min: 0,
    max: MAX_OUTDOOR_AREA,
    unit: 'square feet',
    description: 'Size of the garage.',
  },
  {
    name: 'garageCondition',
    column: 'Garage_Cond',
    kind: 'category',
    levels: [...QUALITY_LEVELS, 'No_Garage'],
    description: 'Garage condition.',
  },
  {
    name: 'drivewayPaving',
    column: 'Paved_Drive',
    kind: 'category',
    levels: ['Paved', 'Partial_Pavement', 'Dirt_Gravel'],
    description: 'Paved driveway.',
  },
  {
    name: 'woodDeckArea',
    column: 'Wood_Deck_SF',
    kind: 'number',
    integer: true,
    min: 0,
    max: MAX_OUTDOOR_AREA,
    unit: 'square feet',
    description: 'Wood deck area.',
  },
  {
    name: 'openPorchArea',
    column: 'Open_Porch_SF',
    kind: 'number',
    integer: true,
    min: 0,
    max: MAX_OUTDOOR_AREA,
    unit: 'square feet',
    description: 'Open porch area.',
  },
  {
    name: 'enclosedPorchArea',
    column: 'Enclosed_Porch',
    kind: 'number',
    integer: true,
    min: 0,
    max: MAX_OUTDOOR_AREA,
    unit: 'square feet',
    description: 'Enclosed porch area.',
  },
  {
    name: 'threeSeasonPorchArea',
    column: 'Three_season_porch',
    kind: 'number',
    integer: true,
    min: 0,
    max: MAX_OUTDOOR_AREA,
    unit: 'square feet',
    description: 'Three season porch area.',
  },
  {
    name: 'screenPorchArea',
    column: 'Screen_Porch',
    kind: 'number',
    integer: true,
    min: 0,
    max: MAX_OUTDOOR_AREA,
    unit: 'square feet',
    description: 'Screen porch area.',
  },
  {
    name: 'poolArea',
    column: 'Pool_Area',
    kind: 'number',
    integer: true,
    min: 0,
    max: MAX_OUTDOOR_AREA,
    unit: 'square feet',
    description: 'Pool area.',
  },
  {
    name: 'poolQuality',
    column: 'Pool_QC',
    kind: 'category',
    levels: ['Excellent', 'Good', 'Typical', 'Fair', 'No_Pool'],
    description: 'Pool quality.',
  },
  {
    name: 'fence',
    column: 'Fence',
    kind: 'category',
    levels: ['Good_Privacy', 'Minimum_Privacy', 'Good_Wood', 'Minimum_Wood_Wire', 'No_Fence'],
    description: 'Fence quality.',
  },
  {
    name: 'miscellaneousFeature',
    column: 'Misc_Feature',
    kind: 'category',
    levels: ['Elev', 'Gar2', 'Othr', 'Shed', 'TenC', 'None'],
    description:
      'Miscellaneous feature not covered by the other fields (Elev elevator, Gar2 second garage, Othr other, Shed ' +
      'shed over 100 sq ft, TenC tennis court).',
  },
  {
    name: 'miscellaneousFeatureValue',
    column: 'Misc_Val',
    kind: 'number',
    integer: true,
    min: 0,
    max: 100_000,
    unit: 'US dollars',
    description: 'Value of the miscellaneous feature.',
  },
  {
    name: 'monthSold',
    column: 'Mo_Sold',
    kind: 'number',
    integer: true,
    min: 1,
    max: 12,
    unit: 'month',
    description: 'Month of the sale (1 January to 12 December).',
  },
  {
    name: 'yearSold',
    column: 'Year_Sold',
    kind: 'number',
    integer: true,
    min: MIN_YEAR,
    max: MAX_YEAR,
    unit: 'year',
    description: 'Year of the sale (the training data covers 2006–2010).',
  },
  {
    name: 'saleType',
    column: 'Sale_Type',
    kind: 'category',
    levels: ['WD', 'CWD', 'VWD', 'New', 'COD', 'Con', 'ConLw', 'ConLI', 'ConLD', 'Oth'],
    modelLevels: { WD: 'WD ' },
    description:
      'Type of sale (WD conventional warranty deed, CWD cash warranty deed, VWD VA loan warranty deed, New newly ' +
      'built, COD court officer deed or estate, Con contract with 15 % down on regular terms, ConLw contract with ' +
      'low down payment and low interest, ConLI contract with low interest, ConLD contract with low down payment, ' +
      'Oth other).',
  },
  {
    name: 'saleCondition',
    column: 'Sale_Condition',
    kind: 'category',
    levels: ['Normal', 'Abnorml', 'AdjLand', 'Alloca', 'Family', 'Partial'],
    description:
      'Condition of sale (Abnorml abnormal: trade, foreclosure, short sale; AdjLand adjoining land purchase; ' +
      'Alloca allocation: two linked properties with separate deeds; Family sale between family members; ' +
      'Partial home not completed when last assessed, typical of new homes).',
  },
  {
    name: 'longitude',
    column: 'Longitude',
    kind: 'number',
    integer: false,
    min: -93.8,
    max: -93.45,
    unit: 'decimal degrees',
    description:
      'Longitude of the property (WGS 84; added to the data by the R AmesHousing package). Bounds: the Ames area.',
  },
  {
    name: 'latitude',
    column: 'Latitude',
    kind: 'number',
    integer: false,
    min: 41.9,
    max: 42.15,
    unit: 'decimal degrees',
    description:
      'Latitude of the property (WGS 84; added to the data by the R AmesHousing package). Bounds: the Ames area.',
  },
] as const satisfies readonly HouseFieldSpec[];

/** One entry of {@link HOUSE_FIELDS}, with its literal name, column and levels. */
export type HouseField = (typeof HOUSE_FIELDS)[number];
export type HouseFieldName = HouseField['name'];
export type ModelColumn = HouseField['column'];

/** The model's input columns in signature (CSV) order. */
export const MODEL_COLUMNS: readonly ModelColumn[] = HOUSE_FIELDS.map((field) => field.column);

/** A house as the model takes it: every input column, `null` where the model imputes the value. */
export type ModelRow = Record<ModelColumn, number | string | null>;

/** The house fields of a request, by API name (validated by {@link houseSchema}); `id` may be present or not. */
export type HouseFieldValues = { readonly [N in HouseFieldName]?: number | string | null };

const ID_MAX_LENGTH = 100;

export const houseIdSchema = z
  .union([z.string().min(1).max(ID_MAX_LENGTH), z.number().int().positive()])
  .describe(
    'Client-chosen id of the house, echoed back with its prediction: a string of 1–100 characters or a positive integer.',
  );

type FieldSchema<F extends HouseField> = F extends { kind: 'category'; levels: infer L extends readonly string[] }
  ? z.ZodOptional<z.ZodNullable<z.ZodEnum<{ [K in L[number]]: K }>>>
  : z.ZodOptional<z.ZodNullable<z.ZodNumber>>;

type HouseShape = { id: typeof houseIdSchema } & { [F in HouseField as F['name']]: FieldSchema<F> };

/** The `.describe()` text of a field: its description, unit and bounds, or its levels. */
export function fieldDescription(field: HouseFieldSpec): string {
  if (field.kind === 'category') return `${field.description} One of: ${field.levels.join(', ')}.`;
  const kind = field.integer ? 'Integer' : 'Number';
  return `${field.description} Unit: ${field.unit}. ${kind} from ${field.min} to ${field.max}.`;
}

function valueSchema(field: HouseFieldSpec): z.ZodNumber | z.ZodEnum {
  if (field.kind === 'category') return z.enum(field.levels);
  return (field.integer ? z.number().int() : z.number()).min(field.min).max(field.max);
}

function fieldSchema(field: HouseFieldSpec) {
  return valueSchema(field).nullable().optional().describe(fieldDescription(field));
}

/**
 * A house in the API: a client-chosen `id` and any of the house fields, each optional and nullable (the model
 * imputes an absent or null field: the training median, or the most frequent level). Unknown fields are errors.
 */
// The shape is built from the table at run time; `HouseShape` states its static type (the literal levels per field).
export const houseSchema = z
  .strictObject({
    id: houseIdSchema,
    ...Object.fromEntries(HOUSE_FIELDS.map((field: HouseFieldSpec) => [field.name, fieldSchema(field)])),
  } as HouseShape)
  .describe('A house to price. Every field but id is optional; the model imputes a missing or null field.');

export type House = z.infer<typeof houseSchema>;

/** Per field, whether a JSON value is one {@link houseSchema} accepts for it: null, a level, or a number in bounds. */
const VALUE_CHECKS: ReadonlyMap<string, (value: unknown) => boolean> = new Map(
  HOUSE_FIELDS.map((field: HouseFieldSpec) => [field.name, valueCheck(field)]),
);

function valueCheck(field: HouseFieldSpec): (value: unknown) => boolean {
  if (field.kind === 'category') {
    const levels: ReadonlySet<unknown> = new Set(field.levels);
    return (value) => value === null || levels.has(value);
  }
  const { min, max } = field;
  // Finite bounds also keep NaN and the infinities out, as z.number() does.
  if (field.integer)
    return (value) =>
      value === null || (Number.isSafeInteger(value) && (value as number) >= min && (value as number) <= max);
  return (value) => value === null || (typeof value === 'number' && value >= min && value <= max);
}

/**
 * Whether {@link houseSchema} accepts `value` unchanged, checked without zod (the quick check of the kit's
 * `withFastAcceptance`): an object with a valid id and only house fields, each null or valid. Anything else, valid
 * or not, is left to the schema. `tests/property/houses.property.test.ts` holds it to the schema.
 */
export function acceptsHouseAsIs(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  let hasId = false;
  for (const key in value) {
    const fieldValue = (value as Record<string, unknown>)[key];
    if (key === 'id') {
      hasId =
        typeof fieldValue === 'string'
          ? fieldValue.length >= 1 && fieldValue.length <= ID_MAX_LENGTH
          : Number.isSafeInteger(fieldValue) && (fieldValue as number) > 0;
      if (!hasId) return false;
    } else if (!(VALUE_CHECKS.get(key)?.(fieldValue) ?? false)) return false;
  }
  return hasId;
}

/** Per field, in model column order: its API name and, where some level is spelled differently, API → model level. */
const FIELD_TRANSLATIONS: readonly { name: HouseFieldName; modelLevels: ReadonlyMap<string, string> | undefined }[] =
  HOUSE_FIELDS.map((field: HouseFieldSpec) => ({
    name: field.name as HouseFieldName,
    modelLevels:
      field.kind === 'category' && field.modelLevels ? new Map(Object.entries(field.modelLevels)) : undefined,
  }));

/**
 * The model input values of a house in model column order ({@link MODEL_COLUMNS}): API levels turned into model
 * levels; an absent or null field is `null` (the model imputes it). `id` and any other key that is not a house
 * field are left out. Expects values {@link houseSchema} accepted: it translates, it does not validate.
 */
// On every request's path for every house: one array filled by index, no intermediate object keyed by column.
export function toModelValues(house: HouseFieldValues): (number | string | null)[] {
  const values = new Array<number | string | null>(FIELD_TRANSLATIONS.length);
  for (let index = 0; index < FIELD_TRANSLATIONS.length; index++) {
    const { name, modelLevels } = FIELD_TRANSLATIONS[index] as (typeof FIELD_TRANSLATIONS)[number];
    const value = Object.hasOwn(house, name) ? (house[name] ?? null) : null;
    values[index] = typeof value === 'string' && modelLevels ? (modelLevels.get(value) ?? value) : value;
  }
  return values;
}

/**
 * The model input row of a house: {@link toModelValues} keyed by model column.
 */
export function toModelRow(house: HouseFieldValues): ModelRow {
  const values = toModelValues(house);
  const row = {} as ModelRow;
  MODEL_COLUMNS.forEach((column, index) => {
    row[column] = values[index] as number | string | null;
  });
  return row;
}

/**
 * The fields that move the price most, most important first: the top 8 of a permutation importance measured on
 * 2026-12-01 against the default model pipeline (`trainPipeline` on the bundled ames.csv, seed 42, 100 trees,
 * validation RMSE 30,566 USD, the same forest as the default model). On the 586 validation rows (row i with
 * i % 5 == 0) one input column at a time was shuffled across rows (5 shuffles, fixed seeds) and the increase of the
 * validation RMSE of `predictRows` averaged: grossLivingArea +16,043 USD, yearBuilt +11,361, garageCars +8,950,
 * yearRemodeled +4,373, totalBasementArea +4,203, firstFloorArea +3,907, latitude +1,403, fireplaces +1,200 (next:
 * lotArea +1,092, masonryVeneerArea +739). Places 7–9 are within one shuffle-to-shuffle standard deviation
 * (about 450 USD) of each other. Correlated fields share their importance: location is mostly carried by latitude
 * (longitude +365, neighborhood +268), and secondFloorArea scores below zero beside grossLivingArea. Measure again
 * after retraining on other data or settings.
 */
export const MOST_IMPORTANT_FIELDS = [
  'grossLivingArea',
  'yearBuilt',
  'garageCars',
  'yearRemodeled',
  'totalBasementArea',
  'firstFloorArea',
  'latitude',
  'fireplaces',
] as const satisfies readonly HouseFieldName[];

/**
 * A complete house for the docs: the first row of ames.csv (a validation row), a one-story 1960 house in North
 * Ames sold in May 2010 for 215,000 USD, in API fields.
 */
export const EXAMPLE_HOUSE = {
  id: 'ames-row-0',
  dwellingClass: 'One_Story_1946_and_Newer_All_Styles',
  zoning: 'Residential_Low_Density',
  lotFrontage: 141,
  lotArea: 31770,
  streetSurface: 'Pave',
  alleyAccess: 'No_Alley_Access',
  lotShape: 'Slightly_Irregular',
  landContour: 'Lvl',
  utilities: 'AllPub',
  lotConfiguration: 'Corner',
  landSlope: 'Gtl',
  neighborhood: 'North_Ames',
  proximityCondition1: 'Norm',
  proximityCondition2: 'Norm',
  buildingType: 'OneFam',
  houseStyle: 'One_Story',
  overallCondition: 'Average',
  yearBuilt: 1960,
  yearRemodeled: 1960,
  roofStyle: 'Hip',
  roofMaterial: 'CompShg',
  exteriorCovering1: 'BrkFace',
  exteriorCovering2: 'Plywood',
  masonryVeneerType: 'Stone',
  masonryVeneerArea: 112,
  exteriorCondition: 'Typical',
  foundation: 'CBlock',
  basementCondition: 'Good',
  basementExposure: 'Gd',
  basementFinishType1: 'BLQ',
  basementFinishType1Code: 2,
  basementFinishType2: 'Unf',
  basementFinishedArea2: 0,
  basementUnfinishedArea: 441,
  totalBasementArea: 1080,
  heating: 'GasA',
  heatingQuality: 'Fair',
  centralAir: 'Y',
  electricalSystem: 'SBrkr',
  firstFloorArea: 1656,
  secondFloorArea: 0,
  grossLivingArea: 1656,
  basementFullBathrooms: 1,
  basementHalfBathrooms: 0,
  fullBathrooms: 1,
  halfBathrooms: 0,
  bedrooms: 3,
  kitchens: 1,
  totalRooms: 7,
  functionality: 'Typ',
  fireplaces: 2,
  garageType: 'Attchd',
  garageFinish: 'Fin',
  garageCars: 2,
  garageArea: 528,
  garageCondition: 'Typical',
  drivewayPaving: 'Partial_Pavement',
  woodDeckArea: 210,
  openPorchArea: 62,
  enclosedPorchArea: 0,
  threeSeasonPorchArea: 0,
  screenPorchArea: 0,
  poolArea: 0,
  poolQuality: 'No_Pool',
  fence: 'No_Fence',
  miscellaneousFeature: 'None',
  miscellaneousFeatureValue: 0,
  monthSold: 5,
  yearSold: 2010,
  saleType: 'WD',
  saleCondition: 'Normal',
  longitude: -93.619754,
  latitude: 42.054035,
} as const satisfies Required<House>;
